// The compose and Kubernetes recipes, checked as far as this machine can without Docker or a
// cluster: the YAML parses, Prometheus' own checker accepts the configuration with the files the
// containers would see, every file a volume or provisioning file names exists, and the ports and
// labels that must agree do.
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { runCli } from '../../ops/generator/cli.js';
import { ROOT, startTsApp } from '../support/process.js';
import { PROMTOOL } from '../support/prometheus.js';

const run = promisify(execFile);
const COMPOSE = join(ROOT, 'examples/compose');
const KUBERNETES = join(ROOT, 'examples/kubernetes');
const temps: string[] = [];
afterAll(() => temps.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

interface Service {
  build?: { context: string; dockerfile: string };
  image?: string;
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: string[];
}
const compose = parse(readFileSync(join(COMPOSE, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const yamlAt = <T>(file: string): T => parse(readFileSync(file, 'utf8')) as T;

/** A bind mount `host:container[:ro]` of a service, with the host side resolved; named volumes left out. */
function binds(service: Service): Array<{ host: string; container: string }> {
  return (service.volumes ?? []).flatMap((v) => {
    const [host, container] = v.split(':') as [string, string];
    return host.startsWith('.') ? [{ host: resolve(COMPOSE, host), container }] : [];
  });
}

/** The port a service listens on inside the compose network. */
function portOf(name: string): number {
  const service = compose.services[name]!;
  if (service.environment?.PORT) return Number(service.environment.PORT);
  return Number(service.ports![0]!.split(':')[1]);
}

describe('examples/compose', () => {
  it('names only files that exist: build files, bind mounts, provisioning', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      if (service.build) expect(existsSync(join(resolve(COMPOSE, service.build.context), service.build.dockerfile)), name).toBe(true);
      for (const { host } of binds(service)) expect(existsSync(host), `${name}: ${host}`).toBe(true);
      for (const dependency of service.depends_on ?? []) expect(Object.keys(compose.services), name).toContain(dependency);
    }
    for (const v of Object.values(compose.services).flatMap((s) => s.volumes ?? []).filter((v) => !v.startsWith('.'))) expect(Object.keys(compose.volumes)).toContain(v.split(':')[0]);
  });

  it('promtool check config passes on prometheus.yml with the rule files the container sees, and the targets are the services on their ports', async () => {
    // Lay out what the prometheus container sees under /etc/prometheus, from its bind mounts.
    const etc = mkdtempSync(join(tmpdir(), 'promhttp-compose-'));
    temps.push(etc);
    for (const { host, container } of binds(compose.services.prometheus!)) {
      expect(container.startsWith('/etc/prometheus/'), container).toBe(true);
      const target = join(etc, relative('/etc/prometheus', container));
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(host, target);
    }
    const { stdout } = await run(PROMTOOL, ['check', 'config', join(etc, 'prometheus.yml')]);
    expect(stdout).toContain('SUCCESS: 2 rule files found');
    expect(stdout).toMatch(/recording-rules\.yml\n {2}SUCCESS: 12 rules found/);
    expect(stdout).toMatch(/alerts\.yml\n {2}SUCCESS: 31 rules found/);

    const config = yamlAt<{ scrape_configs: Array<{ job_name: string; honor_labels?: boolean; static_configs: Array<{ targets: string[] }> }> }>(join(etc, 'prometheus.yml'));
    for (const job of config.scrape_configs) {
      for (const target of job.static_configs.flatMap((s) => s.targets)) {
        const [host, port] = target.split(':') as [string, string];
        expect(Object.keys(compose.services), target).toContain(host);
        expect(Number(port), target).toBe(portOf(host));
      }
    }
    expect(config.scrape_configs.find((j) => j.job_name === 'pushgateway')?.honor_labels).toBe(true);
  });

  it('the app runs the cluster example in directory mode on the shared volume, and the batch job pushes to the Pushgateway', () => {
    const app = compose.services.app!;
    expect(existsSync(join(ROOT, 'examples/cluster.ts'))).toBe(true);
    expect(app.environment!.PROMETHEUS_MULTIPROC_DIR).toBe('/run/promhttp');
    expect(app.volumes).toContain('metrics:/run/promhttp');
    expect(app.ports).toContain(`${portOf('app')}:${portOf('app')}`);
    expect(new URL(compose.services['batch-job']!.environment!.PUSHGATEWAY_URL!).port).toBe(String(portOf('pushgateway')));
  });

  it('Grafana gets the Prometheus service as its data source and promhttp\'s dashboard from the folder its provider reads', () => {
    const grafana = compose.services.grafana!;
    const provisioning = binds(grafana).find((b) => b.container === '/etc/grafana/provisioning')!;
    const datasource = yamlAt<{ datasources: Array<{ type: string; url: string }> }>(join(provisioning.host, 'datasources/prometheus.yml')).datasources[0]!;
    expect(datasource.type).toBe('prometheus');
    expect(new URL(datasource.url).hostname).toBe('prometheus');
    expect(Number(new URL(datasource.url).port)).toBe(portOf('prometheus'));
    const provider = yamlAt<{ providers: Array<{ options: { path: string } }> }>(join(provisioning.host, 'dashboards/promhttp.yml')).providers[0]!;
    const dashboard = binds(grafana).find((b) => b.container.startsWith(`${provider.options.path}/`))!;
    expect(dashboard.host).toBe(join(ROOT, 'ops/dashboard.json'));
  });
});

describe('examples/kubernetes', () => {
  it('prometheus-rule.yml is what promhttp-ops --kubernetes writes (npm run ops:generate), and promtool accepts its rules', async () => {
    const out = mkdtempSync(join(tmpdir(), 'promhttp-k8s-'));
    temps.push(out);
    const quiet = { out: () => {}, err: () => {} };
    expect(await runCli(['--kubernetes', '--rule-label', 'release=prometheus', '--out', out], quiet)).toBe(0);
    const shipped = readFileSync(join(KUBERNETES, 'prometheus-rule.yml'), 'utf8');
    expect(shipped).toBe(readFileSync(join(out, 'prometheus-rule.yml'), 'utf8'));
    const rule = parse(shipped) as { kind: string; metadata: { labels: Record<string, string> }; spec: { groups: unknown[] } };
    expect(rule.kind).toBe('PrometheusRule');
    const groups = join(out, 'groups.json');
    // JSON is YAML: promtool reads the spec's groups as a rule file.
    writeFileSync(groups, JSON.stringify({ groups: rule.spec.groups }));
    const { stdout } = await run(PROMTOOL, ['check', 'rules', groups]);
    expect(stdout).toContain('SUCCESS: 43 rules found');
  });

  it('the PodMonitor selects the Deployment\'s pods on their named port, and the annotations name the same port', () => {
    const [deployment, service] = parseAllDocuments(readFileSync(join(KUBERNETES, 'deployment.yaml'), 'utf8')).map((d) => d.toJS()) as [
      { kind: string; spec: { template: { metadata: { labels: Record<string, string>; annotations: Record<string, string> }; spec: { containers: Array<{ ports: Array<{ name: string; containerPort: number }>; env: Array<{ name: string; value: string }>; volumeMounts: Array<{ mountPath: string }> }> } } } },
      { kind: string; metadata: { annotations?: Record<string, string> }; spec: { selector: Record<string, string>; ports: Array<{ targetPort: string }> } },
    ];
    const monitor = yamlAt<{ kind: string; spec: { selector: { matchLabels: Record<string, string> }; podMetricsEndpoints: Array<{ port: string; path: string }> } }>(join(KUBERNETES, 'podmonitor.yaml'));
    expect([deployment.kind, service.kind, monitor.kind]).toEqual(['Deployment', 'Service', 'PodMonitor']);
    const pod = deployment.spec.template;
    const container = pod.spec.containers[0]!;
    expect(pod.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
    expect(pod.metadata.labels).toMatchObject(service.spec.selector);
    const port = container.ports.find((p) => p.name === monitor.spec.podMetricsEndpoints[0]!.port)!;
    expect(port).toBeDefined();
    expect(service.spec.ports[0]!.targetPort).toBe(port.name);
    expect(pod.metadata.annotations['prometheus.io/scrape']).toBe('true');
    expect(Number(pod.metadata.annotations['prometheus.io/port'])).toBe(port.containerPort);
    expect(pod.metadata.annotations['prometheus.io/path']).toBe(monitor.spec.podMetricsEndpoints[0]!.path);
    // Annotation-based configurations scrape annotated pods and the endpoints of annotated
    // Services: annotating both would scrape each pod twice.
    expect(Object.keys(service.metadata.annotations ?? {}).filter((k) => k.startsWith('prometheus.io/'))).toEqual([]);
    const env = Object.fromEntries(container.env.map((e) => [e.name, e.value]));
    expect(Number(env.PORT)).toBe(port.containerPort);
    expect(container.volumeMounts.map((m) => m.mountPath)).toContain(env.PROMETHEUS_MULTIPROC_DIR);
  });

  it('the readiness probe asks a path the app leaves out of its metrics: probes are not traffic', async () => {
    const [deployment] = parseAllDocuments(readFileSync(join(KUBERNETES, 'deployment.yaml'), 'utf8')).map((d) => d.toJS()) as [
      { spec: { template: { spec: { containers: Array<{ command: string[]; readinessProbe: { httpGet: { path: string } } }> } } } },
    ];
    const container = deployment.spec.template.spec.containers[0]!;
    const probe = container.readinessProbe.httpGet.path;
    const dir = mkdtempSync(join(tmpdir(), 'promhttp-k8s-mp-'));
    temps.push(dir);
    // The container's program (npx tsx examples/cluster.ts), one worker.
    const app = await startTsApp(container.command.at(-1)!, { WORKERS: '1', PROMETHEUS_MULTIPROC_DIR: dir });
    try {
      for (let i = 0; i < 3; i++) expect((await fetch(`${app.url}${probe}`)).status, probe).toBe(200);
      expect((await fetch(`${app.url}/`)).status).toBe(200);
      const metrics = await (await fetch(`${app.url}/metrics`)).text();
      expect(metrics).toMatch(/^http_requests_total\{.*route="\/".*\} 1$/m);
      expect(metrics).not.toContain(`route="${probe}"`);
    } finally {
      await app.stop();
    }
  });
});
