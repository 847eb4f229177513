import { MULTIPROC_DIR_ENV } from './options.js';
import { clearDirectory, renderDirectory } from './index.js';

const USAGE = `Usage: promhttp-multiproc <command> [dir] [options]

Commands:
  print [dir] [--openmetrics]   print the merged exposition of every process in dir
  clear [dir] [--force]         delete promhttp's files in dir (refused while live processes
                                use it, unless --force)

dir defaults to $${MULTIPROC_DIR_ENV}.
`;

/** Where the CLI writes; a parameter so that it can run inside another program. */
export interface CliOutput {
  out(text: string): void;
  err(text: string): void;
}

const stdio: CliOutput = { out: (t) => void process.stdout.write(t), err: (t) => void process.stderr.write(t) };

/** Runs `promhttp-multiproc` with `args` (without the program name); resolves with the exit code. */
export async function runCli(args: readonly string[], io: CliOutput = stdio): Promise<number> {
  const [command, ...rest] = args;
  const flags = new Set(rest.filter((a) => a.startsWith('--')));
  const positional = rest.filter((a) => !a.startsWith('--'));
  if (command === undefined || command === 'help' || flags.has('--help') || args.includes('-h')) {
    io.out(USAGE);
    return command === undefined ? 2 : 0;
  }
  const known = command === 'print' ? ['--openmetrics'] : command === 'clear' ? ['--force'] : undefined;
  const unknown = [...flags].find((f) => !known?.includes(f));
  const dir = positional[0] ?? process.env[MULTIPROC_DIR_ENV];
  if (known === undefined || unknown !== undefined || positional.length > 1 || dir === undefined || dir === '') {
    const why = known === undefined ? `unknown command "${command}"` : unknown !== undefined ? `unknown option "${unknown}"` : positional.length > 1 ? 'give one directory' : `no directory given and ${MULTIPROC_DIR_ENV} is not set`;
    io.err(`promhttp-multiproc: ${why}.\n\n${USAGE}`);
    return 2;
  }
  try {
    if (command === 'print') {
      io.out(await renderDirectory(dir, { format: flags.has('--openmetrics') ? 'openmetrics' : 'text' }));
    } else {
      const { removed, live } = clearDirectory(dir, { force: flags.has('--force') });
      io.out(`cleared ${dir}: removed ${removed} entr${removed === 1 ? 'y' : 'ies'}${live > 0 ? ` (${live} live process${live === 1 ? '' : 'es'} will rewrite their files)` : ''}\n`);
    }
    return 0;
  } catch (error) {
    const hint = command === 'clear' && !flags.has('--force') ? ' (--force clears anyway)' : '';
    io.err(`${error instanceof Error ? error.message : String(error)}${hint}\n`);
    return 1;
  }
}
