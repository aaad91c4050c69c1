import { appendFileSync } from 'node:fs';

/** runc's --log: errors appended to a file, as text or as JSON lines (runc's logrus fields). */
export function errorLogger(path: string, format: 'text' | 'json'): (message: string) => void {
  return (message) => {
    const time = new Date().toISOString();
    const line = format === 'json' ? JSON.stringify({ level: 'error', msg: message, time }) : `time="${time}" level=error msg="${message.replace(/"/g, '\\"')}"`;
    try {
      appendFileSync(path, `${line}\n`);
    } catch {
      // a broken log file must not hide the error already printed on stderr
    }
  };
}
