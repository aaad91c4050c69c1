import { VzError } from '../../base/errors.ts';

/**
 * A cron schedule (5 fields, or 6 with seconds first) as systemd's OnCalendar=. cron's `*`, numbers, lists, ranges
 * and steps map one to one; what has no exact OnCalendar form is refused, never approximated: a day of the month AND
 * a day of the week both given (cron runs on either, OnCalendar only on both), names of months, `L`, `W`, `#`, `?`.
 */
export function cronToOnCalendar(schedule: string): string {
  const fields = schedule.trim().split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) throw refuse(schedule, 'give 5 or 6 fields');
  const [second, minute, hour, dom, month, dow] = fields.length === 6 ? fields : ['0', ...fields];
  if (dom !== '*' && dow !== '*') throw refuse(schedule, 'cron runs it when the day of the month OR the day of the week matches, systemd only when both do: give one of them as *');
  const days = dow === '*' ? '' : `${field(dow, 0, 7, schedule, 'day of the week', true)} `;
  return `${days}*-${field(month, 1, 12, schedule, 'month')}-${field(dom, 1, 31, schedule, 'day of the month')} ${field(hour, 0, 23, schedule, 'hour')}:${field(minute, 0, 59, schedule, 'minute')}:${field(second, 0, 59, schedule, 'second')}`;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

function refuse(schedule: string, why: string): VzError {
  return new VzError('invalid-config', `schedule "${schedule}" has no systemd timer form (${why}): change the schedule, or set vz_mode: supervisor for this host`);
}

function field(text: string, min: number, max: number, schedule: string, name: string, weekday = false): string {
  const number = (part: string) => {
    if (!/^\d+$/.test(part) || Number(part) < min || Number(part) > max) throw refuse(schedule, `${name} "${text}": use numbers ${min}-${max}, *, lists, ranges and steps`);
    return Number(part);
  };
  const one = (part: string): string => {
    const [range, step] = part.split('/');
    if (part.split('/').length > 2 || (step !== undefined && !/^\d+$/.test(step))) throw refuse(schedule, `${name} "${text}"`);
    if (weekday) {
      if (step !== undefined) throw refuse(schedule, `${name} "${text}": a step over weekdays has no timer form`);
      if (range === '*') return '';
      const [a, b] = range.split('-');
      return b === undefined ? DAYS[number(a)] : `${DAYS[number(a)]}..${DAYS[number(b)]}`;
    }
    const pad = (n: number) => String(n).padStart(2, '0');
    if (range === '*') return step === undefined ? '*' : `${pad(min)}/${Number(step)}`;
    const [a, b] = range.split('-');
    if (b === undefined) return step === undefined ? pad(number(a)) : `${pad(number(a))}/${Number(step)}`;
    if (step !== undefined) throw refuse(schedule, `${name} "${text}": a step over a range has no timer form`);
    return `${pad(number(a))}..${pad(number(b))}`;
  };
  return text.split(',').map(one).join(',');
}
