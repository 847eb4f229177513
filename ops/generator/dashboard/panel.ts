import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import type { Panel } from '@grafana/grafana-foundation-sdk/dashboard';
import { VizLegendOptionsBuilder, LegendDisplayMode, LegendPlacement } from '@grafana/grafana-foundation-sdk/common';
import { PanelBuilder as HeatmapPanel, YAxisConfigBuilder } from '@grafana/grafana-foundation-sdk/heatmap';
import { DataqueryBuilder, PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';

/** Every panel and query reads the data source the dashboard's `datasource` variable picks. */
export const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };

export interface Query {
  readonly expr: string;
  /** Grafana's legend template, e.g. `{{route}}`. */
  readonly legend?: string;
}

/** A panel as the rows describe it; `panel()` turns it into Grafana's model. */
export interface PanelSpec {
  readonly title: string;
  readonly description: string;
  /** Grafana unit id of the values (a heatmap's cells): `reqps`, `percentunit`, `s`, `bytes`, `short`. */
  readonly unit: string;
  /** A heatmap's y axis, its bucket bounds: Grafana reads that unit from the panel's options, not the field's. */
  readonly yUnit?: string;
  readonly queries: readonly Query[];
  /** `table` and `heatmap` panels read instant and bucket queries respectively. */
  readonly kind?: 'timeseries' | 'table' | 'heatmap';
  /**
   * A heatmap of a native histogram: its query keeps the time series format, from which Grafana
   * draws the histogram's buckets (the heatmap format post-processed them wrongly before Grafana 10.3).
   */
  readonly native?: boolean;
  /** Grid columns out of 24. @default 12 */
  readonly width?: number;
}

export interface RowSpec {
  readonly title: string;
  readonly panels: readonly PanelSpec[];
}

function target(query: Query, index: number, kind: PanelSpec['kind'], native: boolean): DataqueryBuilder {
  const builder = new DataqueryBuilder().datasource(DATASOURCE).refId(String.fromCharCode(65 + index)).expr(query.expr);
  if (query.legend !== undefined) builder.legendFormat(query.legend);
  if (kind === 'table') builder.instant().format(PromQueryFormat.Table);
  else if (kind === 'heatmap') builder.range().format(native ? PromQueryFormat.TimeSeries : PromQueryFormat.Heatmap);
  else builder.range();
  return builder;
}

const legend = (): VizLegendOptionsBuilder =>
  new VizLegendOptionsBuilder().showLegend(true).displayMode(LegendDisplayMode.List).placement(LegendPlacement.Bottom);

/** The Grafana panel for a spec, with its id. */
export function panel(spec: PanelSpec, id: number): cog.Builder<Panel> {
  const targets = spec.queries.map((q, i) => target(q, i, spec.kind, spec.native ?? false));
  const builder =
    spec.kind === 'table'
      ? new TablePanel()
      : spec.kind === 'heatmap'
        ? new HeatmapPanel().calculate(false).yAxis(new YAxisConfigBuilder().unit(spec.yUnit ?? 'short'))
        : new TimeseriesPanel().legend(legend()).fillOpacity(10);
  return builder.id(id).title(spec.title).description(spec.description).datasource(DATASOURCE).unit(spec.unit).targets(targets).height(8).span(spec.width ?? 12);
}
