import { accessSync, closeSync, constants, mkdirSync, openSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from './exit.js';

/**
 * Output paths (`--trace`, `--html`/`--report`, `--md`, `--out`) are checked before any work
 * starts, so a typo costs nothing and is reported as the user's mistake (exit 2, the path and
 * the reason), not as an internal error after a long run. Missing folders are created, as
 * `mkdir -p` would, when the nearest existing one is a writable folder.
 */

function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'ENOTDIR':
      return 'a part of the path is a file, not a folder';
    case 'EISDIR':
      return 'it is a folder';
    case 'ENOENT':
      return 'no such folder';
    default:
      return code ?? (error as Error).message;
  }
}

/** The nearest existing ancestor folder of `path` must be a writable folder. */
function checkAncestor(flag: string, shown: string, path: string): void {
  let dir = path;
  for (;;) {
    const parent = dirname(dir);
    let stat;
    try {
      stat = statSync(parent);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && parent !== dir) {
        dir = parent;
        continue;
      }
      throw new UsageError(`${flag} ${shown}: cannot write there (${reason(error)})`);
    }
    if (!stat.isDirectory()) throw new UsageError(`${flag} ${shown}: cannot write there (${parent} is a file, not a folder)`);
    try {
      accessSync(parent, constants.W_OK);
    } catch (error) {
      throw new UsageError(`${flag} ${shown}: cannot write into ${parent} (${reason(error)})`);
    }
    return;
  }
}

/**
 * One output path, a file or a folder: what stands there must be of that kind and writable; where
 * nothing stands yet, the nearest existing folder must be writable (missing folders are created).
 */
function checkOutput(kind: 'file' | 'folder', flag: string, shown: string | undefined, cwd: string): void {
  if (shown === undefined) return;
  if (shown === '') throw new UsageError(`${flag}: give a ${kind} name`);
  const path = resolve(cwd, shown);
  let stat;
  try {
    stat = statSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new UsageError(`${flag} ${shown}: cannot write there (${reason(error)})`);
    checkAncestor(flag, shown, path);
    return;
  }
  if (kind === 'file' && stat.isDirectory()) throw new UsageError(`${flag} ${shown}: is a folder; give a file name (e.g. ${shown.replace(/\/+$/, '')}/report.html)`);
  if (kind === 'folder' && !stat.isDirectory()) throw new UsageError(`${flag} ${shown}: is a file, not a folder`);
  try {
    accessSync(path, constants.W_OK);
  } catch (error) {
    throw new UsageError(`${flag} ${shown}: cannot write ${kind === 'file' ? 'it' : 'into it'} (${reason(error)})`);
  }
}

/** An output file: an existing folder, an unwritable file or an unwritable place is refused. */
export function checkOutputFile(flag: string, shown: string | undefined, cwd: string): void {
  checkOutput('file', flag, shown, cwd);
}

/** An output folder: must be a writable folder, or creatable. */
export function checkOutputDir(flag: string, shown: string | undefined, cwd: string): void {
  checkOutput('folder', flag, shown, cwd);
}

/** Writes an output file (creating its folder); a failure (a full disk, /dev/full) is the user's to fix: UsageError. */
export function writeOutput(shown: string, path: string, content: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  } catch (error) {
    throw new UsageError(`cannot write ${shown}: ${reason(error)}`);
  }
}

/**
 * An output file written piece by piece as a run goes (the Perfetto trace), buffered so a long run
 * makes few system calls; failures are the user's to fix (UsageError), as for writeOutput.
 */
export function openOutputStream(shown: string, path: string, flushAt = 1 << 16): { write: (text: string) => void; close: () => void } {
  let fd: number;
  try {
    mkdirSync(dirname(path), { recursive: true });
    fd = openSync(path, 'w');
  } catch (error) {
    throw new UsageError(`cannot write ${shown}: ${reason(error)}`);
  }
  let buffer: string[] = [];
  let size = 0;
  const flush = () => {
    if (buffer.length === 0) return;
    try {
      writeSync(fd, buffer.join(''));
    } catch (error) {
      throw new UsageError(`cannot write ${shown}: ${reason(error)}`);
    }
    buffer = [];
    size = 0;
  };
  return {
    write(text: string) {
      buffer.push(text);
      size += text.length;
      if (size >= flushAt) flush();
    },
    close() {
      flush();
      closeSync(fd);
    },
  };
}

/** Whether an error is a file-system error about a path (the user's environment, not a bug). */
export function isFileSystemError(error: unknown): error is NodeJS.ErrnoException {
  const e = error as NodeJS.ErrnoException | null;
  return e !== null && typeof e === 'object' && typeof e.code === 'string' && typeof e.syscall === 'string';
}

export { reason as fileErrorReason };
