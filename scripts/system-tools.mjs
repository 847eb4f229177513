// Makes sure the programs a script needs are installed before it runs: `npm test` needs Debian's
// Prometheus, promtool and Pushgateway (the end-to-end tests run the real ones), the benchmark
// needs wrk and taskset. Run as root with apt-get at hand, it installs what is missing; anywhere
// else it stops with one line naming the packages and the command that installs them.
//
// Usage: node scripts/system-tools.mjs test|bench
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync, chmodSync } from 'node:fs';

/** What each purpose needs: the program, where an override may point to it, and its Debian package. */
const NEEDS = {
  test: [
    { program: 'prometheus', env: 'PROMETHEUS_BIN', pkg: 'prometheus' },
    { program: 'promtool', env: 'PROMTOOL_BIN', pkg: 'prometheus' },
    { program: 'prometheus-pushgateway', env: 'PUSHGATEWAY_BIN', pkg: 'prometheus-pushgateway' },
    { program: 'openssl', pkg: 'openssl' },
    { program: 'unshare', pkg: 'util-linux' },
  ],
  bench: [
    { program: 'wrk', pkg: 'wrk' },
    { program: 'taskset', pkg: 'util-linux' },
  ],
};

const purpose = process.argv[2];
if (!Object.hasOwn(NEEDS, purpose)) {
  console.error(`usage: node scripts/system-tools.mjs ${Object.keys(NEEDS).join('|')}`);
  process.exit(2);
}

const onPath = (program) => spawnSync('sh', ['-c', `command -v "${program}"`], { stdio: 'ignore' }).status === 0;
const present = (need) => (need.env && process.env[need.env] ? existsSync(process.env[need.env]) : onPath(need.program));

const missing = NEEDS[purpose].filter((need) => !present(need));
if (missing.length === 0) process.exit(0);

const packages = [...new Set(missing.map((need) => need.pkg))];
const programs = missing.map((need) => need.program).join(', ');
const command = `apt-get install -y --no-install-recommends ${packages.join(' ')}`;
const root = typeof process.getuid === 'function' && process.getuid() === 0;

if (!root || !onPath('apt-get')) {
  console.error(`promhttp: npm ${purpose === 'test' ? 'test' : 'run bench'} needs ${programs}, which ${missing.length === 1 ? 'is' : 'are'} not installed: run \`sudo ${command}\` (Debian and Ubuntu), or point ${missing.filter((n) => n.env).map((n) => n.env).join('/') || 'PATH'} at your own builds.`);
  process.exit(1);
}

console.log(`promhttp: installing ${packages.join(', ')} for ${programs} (${command})`);
// Installing the prometheus package would start it as a system service; tests start their own.
// A policy-rc.d that forbids service starts keeps the machine as it was, and goes once installed.
const POLICY = '/usr/sbin/policy-rc.d';
const ownPolicy = !existsSync(POLICY);
if (ownPolicy) {
  writeFileSync(POLICY, '#!/bin/sh\nexit 101\n');
  chmodSync(POLICY, 0o755);
}
try {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-q'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...packages], { stdio: 'inherit', env });
} catch (error) {
  console.error(`promhttp: \`${command}\` failed (${error.message}); install the packages by hand.`);
  process.exitCode = 1;
} finally {
  if (ownPolicy) rmSync(POLICY, { force: true });
}
const still = NEEDS[purpose].filter((need) => !present(need));
if (still.length > 0 && process.exitCode !== 1) {
  console.error(`promhttp: ${still.map((n) => n.program).join(', ')} still missing after the install.`);
  process.exitCode = 1;
}
