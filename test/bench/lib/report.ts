import type { HttpResult } from '../http/run.js';
import type { ConcurrentScrapeResult, DirectoryScrape, InstrumentationResult, MicroResult, MultiprocessResult, ProtobufScrape, Results, ScrapeResult, SoakResult, Target } from './results.js';
import { ran } from './results.js';

const num = (value: number | undefined, digits = 0): string =>
  value === undefined || !Number.isFinite(value) ? '–' : value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function httpTable(http: HttpResult): string {
  const s = http.settings;
  const lines = [
    `${s.rounds} rounds; each server in a fresh process on core 1, ${s.warmupSeconds} s warm-up then ${s.durationSeconds} s measured with wrk on core 0 (1 thread, ${s.connections} connections, GET /users/<random 1..10000>). Medians over the rounds. The CPU ratio is bare's CPU µs/req over the server's: the throughput ratio when each has its core to itself, which a busy machine does not disturb.`,
    '',
    '| Framework | Server | req/s | ratio to bare: req/s (CPU) | p99 ms | CPU µs/req (range) | overhead µs/req: CPU (user) | RSS MiB | server core busy / taken by others |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const f of http.frameworks) {
    for (const r of f.servers) {
      const name = r.primary ? `**${r.label}**` : r.label;
      if (r.skipped !== undefined) {
        lines.push(`| ${f.title} | ${name} | skipped: ${r.skipped} | | | | | | |`);
        continue;
      }
      const overhead = r.role === 'bare' ? '' : `${num(r.overheadUs, 1)} (${num(r.userOverheadUs, 1)})`;
      const cpu = `${num(r.cpuUsPerRequest, 1)} (${num(r.cpuUsRange?.[0], 0)}–${num(r.cpuUsRange?.[1], 0)})`;
      const ratio = r.role === 'bare' ? '1' : `${num(r.ratio, 2)} (${num(r.cpuRatio, 2)})`;
      lines.push(`| ${f.title} | ${name} | ${num(r.requestsPerSecond)} | ${ratio} | ${num(r.p99Ms, 1)} | ${cpu} | ${overhead} | ${num(r.rssMiB)} | ${num(r.cpuBusy, 2)} / ${num(r.othersOnCore, 2)} |`);
    }
  }
  return lines.join('\n');
}

function microTable(micro: MicroResult): string {
  return [
    `${micro.settings.runs} runs of ${num(micro.settings.iterations)} iterations each, interleaved, one process on core 1; median (min–max).`,
    '',
    '| Per request | ns | min–max | what it covers |',
    '| --- | ---: | ---: | --- |',
    ...micro.cases.map((c) => `| ${c.name} | ${num(c.nsPerOp)} | ${num(c.minNs)}–${num(c.maxNs)} | ${c.what} |`),
    ...(micro.allocation === undefined || micro.allocation.length === 0
      ? []
      : [
          '',
          "Allocation: the heap's growth over a run of calls from a collected heap, with no collection during it (median of 5; the control keeps a fresh array per call, to show the measurement sees allocation).",
          '',
          '| Per call | bytes | calls measured |',
          '| --- | ---: | ---: |',
          ...micro.allocation.map((a) => `| ${a.name} | ${num(a.bytesPerCall, 1)} | ${num(a.calls)} |`),
        ]),
    ...(micro.render === undefined
      ? []
      : [
          '',
          `Native histograms per scrape: the protobuf render of ${num(micro.render.series)} request series with ${micro.render.observationsPerSeries} durations each (1 ms to 10 s), as Prometheus asks for it with native histograms on; the variants take turns, median of ${micro.render.runs} runs.`,
          '',
          '| Duration histogram | render ms | bytes |',
          '| --- | ---: | ---: |',
          ...micro.render.variants.map((v) => `| ${v.name} | ${num(v.ms, 2)} | ${num(v.bytes)} |`),
        ]),
  ].join('\n');
}

function instrumentationTable(result: InstrumentationResult): string {
  const { rounds, batchesPerRun, requestsPerBatch } = result.settings;
  const lines = [
    `The HTTP part's apps in one process, each a real \`http.Server\` fed over an in-memory connection (Bun: \`app.fetch\`), ${requestsPerBatch} pipelined requests per batch. A framework's servers take turns batch by batch, ${num(batchesPerRun)} batches each per round, ${rounds} rounds; CPU µs per request is the median over the rounds, the overhead the median of the rounds' differences to bare (range over the rounds). Without the kernel's share of a loopback request, whose cost moves by several µs from second to second on this machine, the instrumentation's own cost stands out. Default process metrics are off: they cost per garbage collection, not per request.`,
    '',
    '| Framework | Server | CPU µs/req | overhead ns/req (range) |',
    '| --- | --- | ---: | ---: |',
  ];
  for (const group of result.groups) {
    for (const server of group.servers) {
      const overhead = server.overheadNs === undefined ? '' : `${num(server.overheadNs)} (${num(server.overheadRangeNs![0])} to ${num(server.overheadRangeNs![1])})`;
      lines.push(`| ${group.title} | ${server.role === 'promhttp' ? `**${server.label}**` : server.label} | ${num(server.usPerRequest, 2)} | ${overhead} |`);
    }
  }
  return lines.join('\n');
}

function scrapeTable(scrape: ScrapeResult): string {
  return [
    'The same routes (a histogram and a counter each, plus the in-flight gauge) in a promhttp and a prom-client registry; text format; median time to produce the body of a scrape (promhttp: `respond()`, what every adapter sends; prom-client: `registry.metrics()`). *Longest block*: the most CPU time the process spent between two timer callbacks during any render, i.e. how long the render kept the event loop from serving requests; in brackets, the longest wall-clock gap, which also counts time other processes took the core.',
    '',
    '| Series (samples) | promhttp `respond()` ms | prom-client `registry.metrics()` ms | speed-up | longest block, promhttp ms | longest block, prom-client ms |',
    '| ---: | ---: | ---: | ---: | ---: | ---: |',
    ...scrape.sizes.map(
      (s) =>
        `| ${num(s.series)} | ${num(s.promhttpMs, 1)} | ${num(s.promClientMs, 1)} | ${num(s.speedup, 1)}× | ${num(s.promhttpMaxBlockMs, 1)} (${num(s.promhttpMaxLagMs, 1)}) | ${num(s.promClientMaxBlockMs, 1)} (${num(s.promClientMaxLagMs, 1)}) |`,
    ),
    ...(scrape.protobuf?.length ? ['', protobufTable(scrape.protobuf)] : []),
    ...(scrape.directory === undefined ? [] : ['', directoryLine(scrape.directory)]),
    ...(scrape.concurrent ? ['', concurrentTable(scrape.concurrent)] : []),
  ].join('\n');
}

function protobufTable(rows: readonly ProtobufScrape[]): string {
  return [
    "The protobuf exposition (what Prometheus asks for first with native histograms on) against the OpenMetrics one of the same registry (what it asks for by default), both through `respond()`; prom-client's `registry.metrics()` of the same routes in text (it has no protobuf); and the same protobuf bytes written with @bufbuild/protobuf from code generated from metrics.proto, rendered in the same slices, which promhttp does not ship: its own encoder writes the stores' values straight into one buffer instead of building a message object per series. Median ms (runs in brackets), longest block in ms of CPU; body sizes plain and gzipped.",
    '',
    '| Series (samples) | protobuf ms | OpenMetrics ms | prom-client ms | @bufbuild/protobuf ms | longest block: protobuf, OpenMetrics, @bufbuild/protobuf, prom-client ms | protobuf KiB (gzip) | OpenMetrics KiB (gzip) |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (p) =>
        `| ${num(p.series)} (${p.runs}) | ${num(p.protobufMs, 1)} | ${num(p.openMetricsMs, 1)} | ${num(p.promClientMs, 1)} | ${num(p.protobufEsMs, 1)} | ${num(p.protobufMaxBlockMs, 1)}, ${num(p.openMetricsMaxBlockMs, 1)}, ${num(p.protobufEsMaxBlockMs, 1)}, ${num(p.promClientMaxBlockMs, 1)} | ${num(p.protobufBytes / 1024)} (${num(p.protobufGzipBytes / 1024)}) | ${num(p.openMetricsBytes / 1024)} (${num(p.openMetricsGzipBytes / 1024)}) |`,
    ),
  ].join('\n');
}

function concurrentTable(c: ConcurrentScrapeResult): string {
  return [
    `${c.scrapes} identical scrapes (OpenMetrics, gzip) sent at once to one registry of ${num(c.series)} samples, against one scrape of it, in process through promhttp's scrape answer with \`scrape.maxInFlight\` raised to ${c.scrapes} (median of ${c.runs} runs). *Each on its own* renders and compresses every scrape separately, as every scrape did before concurrent scrapes shared a render. Peak memory is the resident set above its level before the scrapes, sampled every millisecond. At the default limit of 10, ${c.refusedAtDefaultLimit} of the ${c.scrapes} were answered 503.`,
    '',
    '| | CPU ms | × one scrape | peak RSS MB | longest block ms |',
    '| --- | ---: | ---: | ---: | ---: |',
    `| one scrape | ${num(c.oneCpuMs, 1)} | 1× | +${num(c.onePeakMb, 1)} | |`,
    `| ${c.scrapes} at once, shared | ${num(c.burstCpuMs, 1)} | ${num(c.cpuRatio, 2)}× | +${num(c.burstPeakMb, 1)} | ${num(c.burstMaxBlockMs, 1)} (${num(c.burstMaxLagMs, 1)} wall) |`,
    `| ${c.scrapes} at once, each on its own | ${num(c.unsharedCpuMs, 1)} | ${num(c.unsharedCpuMs / c.oneCpuMs, 1)}× | +${num(c.unsharedPeakMb, 1)} | |`,
  ].join('\n');
}

function directoryLine(d: DirectoryScrape): string {
  return `Directory mode: ${d.processes} stores in one directory, each with routes of its own, merged into ${num(d.series)} samples by one of them (\`respond()\`): ${num(d.ms, 1)} ms median, ${num(d.coldMs, 1)} ms for the first render (which parses every store's metadata; longest block ${num(d.coldBlockMs, 1)} ms); longest block over all renders ${num(d.maxBlockMs, 1)} ms (${num(d.maxLagMs, 1)}).`;
}

function multiprocessTable(mp: MultiprocessResult): string {
  return [
    `${mp.processes} cluster workers record the same ${num(mp.routes)} routes into a promhttp directory and into prom-client's global registry; the primary renders the merged view (median of ${mp.settings.runs} renders). The per-request cost of directory mode is the node:http row "multi-process directory mode" above.`,
    '',
    '| Processes × series | promhttp `renderDirectory()` ms | prom-client `clusterMetrics()` ms | speed-up |',
    '| ---: | ---: | ---: | ---: |',
    `| ${mp.processes} × ${num(mp.seriesPerProcess)} | ${num(mp.promhttpMs, 1)} | ${num(mp.promClientMs, 1)} | ${num(mp.speedup, 1)}× |`,
  ].join('\n');
}

function soakTable(soak: SoakResult): string {
  const { requests, sampleEvery, routes } = soak.settings;
  const header = `| Framework | ${soak.frameworks[0]!.samples.map((s) => num(s.requests)).join(' | ')} | growth | recorded |`;
  return [
    `${num(requests)} requests through each framework in one process, over in-memory connections: ${routes} route templates with ever new ids, one request in ten a 404 on a never-seen path, ids ending in 99 a 500, a scrape every ${num(sampleEvery)} requests. Heap used (MB) after a forced collection at each sample; RSS in brackets.`,
    '',
    header,
    `| --- | ${soak.frameworks[0]!.samples.map(() => '---:').join(' | ')} | ---: | ---: |`,
    ...soak.frameworks.map((f) => `| ${f.title} | ${f.samples.map((s) => `${num(s.heapMb, 1)} (${num(s.rssMb, 0)})`).join(' | ')} | ${num(f.heapGrowth, 3)}× | ${num(f.recorded)} |`),
  ].join('\n');
}

function targetsTable(targets: readonly Target[]): string {
  const mark = (t: Target): string => (t.holds === undefined ? 'not judged' : t.holds ? 'holds' : '**fails**');
  return ['| Target | Goal | Measured | |', '| --- | --- | --- | --- |', ...targets.map((t) => `| ${t.name} | ${t.goal} | ${t.measured} | ${mark(t)} |`)].join('\n');
}

/** The results as Markdown, from the heading level given down; also what docs/benchmarks.md shows. */
export function toMarkdown(results: Results, level = 2): string {
  const h = '#'.repeat(level);
  const v = results.versions;
  const m = results.machine;
  const load = `${m.loadAverage.start.toFixed(2)} at start, ${m.loadAverage.end?.toFixed(2) ?? '?'} at end`;
  const sections = [
    `${h} Run`,
    '',
    `${results.startedAt}, ${results.mode} run, ${results.minutes.toFixed(1)} minutes. ${results.note}`,
    '',
    `- Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.kernel}${m.virtual ? ', virtual machine' : ''}; 1-minute load average ${load}.`,
    `- promhttp ${v.promhttp}; Node ${v.node}; Bun ${v.bun}; ${v.wrk}.`,
    `- ${Object.entries(v.packages).map(([name, version]) => `${name} ${version}`).join(', ')}.`,
    '',
    `${h} Targets`,
    '',
    targetsTable(results.targets),
    '',
    `${h} HTTP servers`,
    '',
    ran(results.http) ? httpTable(results.http) : `Not run: ${results.http.skipped}.`,
    '',
    `${h} Instrumentation cost per request, in process`,
    '',
    results.instrumentation === undefined ? 'Not in this run.' : ran(results.instrumentation) ? instrumentationTable(results.instrumentation) : `Not run: ${results.instrumentation.skipped}.`,
    '',
    `${h} Recording cost per request`,
    '',
    ran(results.micro) ? microTable(results.micro) : `Not run: ${results.micro.skipped}.`,
    '',
    `${h} Scrape`,
    '',
    ran(results.scrape) ? scrapeTable(results.scrape) : `Not run: ${results.scrape.skipped}.`,
    '',
    `${h} Multi-process`,
    '',
    ran(results.multiprocess) ? multiprocessTable(results.multiprocess) : `Not run: ${results.multiprocess.skipped}.`,
    '',
    `${h} Soak`,
    '',
    results.soak === undefined ? 'Not in this run.' : ran(results.soak) ? soakTable(results.soak) : `Not run: ${results.soak.skipped}.`,
  ];
  if (results.problems.length > 0) sections.push('', `${h} Problems`, '', ...results.problems.map((p) => `- ${p.split('\n')[0]}`));
  return `${sections.join('\n')}\n`;
}

/** One sentence for the README, from the same figures as the tables. */
export function summarySentence(results: Results): string | undefined {
  if (!ran(results.http) || !ran(results.scrape)) return undefined;
  const node = results.http.frameworks.find((f) => f.id === 'node');
  const ours = node?.servers.find((s) => s.primary);
  const handMade = node?.servers.find((s) => s.role === 'peer');
  const at10k = results.scrape.sizes.find((s) => s.series >= 10_000 && s.series < 11_000);
  if (ours?.overheadUs === undefined || handMade?.overheadUs === undefined || at10k === undefined) return undefined;
  // Ratios on Koa and Hono sit inside the noise of a shared machine; who is ahead of whom does not.
  const ahead = results.targets.filter((t) => t.name.includes(': ahead of '));
  const peers = ahead.length > 0 && ahead.every((t) => t.holds === true) ? 'it used less CPU per request than every peer library measured on Koa, Hono on Node and Hono on Bun, and ' : '';
  const inProcess = results.instrumentation !== undefined && ran(results.instrumentation) ? results.instrumentation.groups.find((g) => g.id === 'node')?.servers : undefined;
  const oursInProcess = inProcess?.find((s) => s.role === 'promhttp')?.overheadNs;
  const handInProcess = inProcess?.find((s) => s.role === 'peer')?.overheadNs;
  const measured =
    oursInProcess !== undefined && handInProcess !== undefined
      ? `promhttp adds ${num(oursInProcess / 1000, 1)} µs of CPU per request in process (prom-client by hand: ${num(handInProcess / 1000, 1)} µs) and ${num(ours.overheadUs, 1)} µs over loopback HTTP, where bare varies by several µs`
      : `promhttp adds ${num(ours.overheadUs, 1)} µs of CPU per request over loopback HTTP (prom-client by hand: ${num(handMade.overheadUs, 1)} µs)`;
  return (
    `On node:http, ${measured}; ${peers}it renders 10,000 series ${num(at10k.speedup, 1)}× faster than prom-client ` +
    `(medians of a ${results.startedAt.slice(0, 10)} run on a shared ${results.machine.cores}-core ${results.machine.cpu}${results.machine.virtual ? ' virtual machine' : ''}).`
  );
}
