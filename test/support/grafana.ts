// Reads a Grafana dashboard's panels and fills in its variables the way Grafana does before it
// sends a query to Prometheus.

export interface Target {
  readonly refId?: string;
  readonly expr: string;
  readonly legendFormat?: string;
  readonly instant?: boolean;
  readonly format?: string;
  readonly datasource?: { type?: string; uid?: string };
}

export interface GrafanaPanel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  /** The title of the row the panel sits under. */
  readonly row: string;
  readonly datasource?: { type?: string; uid?: string };
  readonly fieldConfig?: { defaults?: { unit?: string } };
  readonly targets?: readonly Target[];
}

export interface GrafanaDashboard {
  readonly panels: ReadonlyArray<{ type: string; title: string; id: number }>;
  readonly templating: { list: ReadonlyArray<{ name: string; type: string; query?: unknown }> };
}

/** The dashboard's panels in order, each with the title of its row (rows themselves left out). */
export function panelsOf(dashboard: GrafanaDashboard): GrafanaPanel[] {
  let row = '';
  const panels: GrafanaPanel[] = [];
  for (const p of dashboard.panels) {
    if (p.type === 'row') row = p.title;
    else panels.push({ ...(p as unknown as GrafanaPanel), row });
  }
  return panels;
}

/** The variable names a text uses (`$job`, `${job}`, `[[job]]`); capture-group references like `${1}` are not variables. */
export function variablesIn(text: string): string[] {
  const names = [...text.matchAll(/\$(\w+)|\$\{(\w+)(?:[:.][^}]*)?\}|\[\[(\w+)\]\]/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
  return [...new Set(names.filter((name) => !/^\d+$/.test(name)))];
}

/** Grafana's interval for `$__rate_interval`: the panel's interval plus one scrape, at least four scrapes. */
export function rateInterval(intervalSeconds: number, scrapeSeconds: number): string {
  return `${Math.max(intervalSeconds + scrapeSeconds, 4 * scrapeSeconds)}s`;
}

/** `text` with its variables replaced by `values`; a variable without a value is an error. */
export function substitute(text: string, values: Readonly<Record<string, string>>): string {
  return text.replace(/\$(\w+)|\$\{(\w+)\}|\[\[(\w+)\]\]/g, (match, a?: string, b?: string, c?: string) => {
    const name = (a ?? b ?? c)!;
    if (/^\d+$/.test(name)) return match;
    const value = values[name];
    if (value === undefined) throw new Error(`no value for the variable $${name} in ${text}`);
    return value;
  });
}
