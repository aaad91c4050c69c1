import { readFileSync } from 'node:fs';
import { VzError } from '../../base/errors.ts';

/** The first line of a file, or of standard input ("-"): a password never travels on a command line. */
export function passwordFromFile(file: string): string {
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    throw new VzError('not-found', `--password-file ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const password = text.split('\n')[0].replace(/\r$/, '');
  if (password === '') throw new VzError('usage', `--password-file ${file} is empty: put root's password on its first line`);
  return password;
}

/** -k: ask on the terminal without echo, as ssh does; from a pipe, read its first line. */
export async function askPassword(prompt: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) return passwordFromFile('-');
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  try {
    const password = await new Promise<string>((resolve, reject) => {
      let typed = '';
      stdin.on('data', (chunk: Buffer) => {
        for (const char of chunk.toString('utf8')) {
          if (char === '\r' || char === '\n') return resolve(typed);
          if (char === '\u0003') return reject(new VzError('usage', 'newnode: cancelled'));
          if (char === '\u007f' || char === '\b') typed = typed.slice(0, -1);
          else typed += char;
        }
      });
    });
    if (password === '') throw new VzError('usage', 'newnode: an empty password was typed');
    return password;
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    process.stderr.write('\n');
  }
}
