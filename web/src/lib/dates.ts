// Day grouping and short times, in the browser's time zone.
import type { Message } from '../api/types.ts';

export interface DayGroup {
  /** YYYY-MM-DD in local time. */
  day: string;
  label: string;
  messages: Message[];
}

function localDay(d: Date): string {
  const y = d.getFullYear();
  const m = String(d.getMonth() + 1).padStart(2, '0');
  const day = String(d.getDate()).padStart(2, '0');
  return `${y}-${m}-${day}`;
}

export function dayLabel(day: string, now: Date = new Date()): string {
  const today = localDay(now);
  const y = new Date(now);
  y.setDate(y.getDate() - 1);
  if (day === today) return 'Today';
  if (day === localDay(y)) return 'Yesterday';
  const [yy, mm, dd] = day.split('-').map(Number) as [number, number, number];
  const date = new Date(yy, mm - 1, dd);
  const sameYear = yy === now.getFullYear();
  const weekAgo = new Date(now);
  weekAgo.setDate(weekAgo.getDate() - 6);
  if (date >= new Date(weekAgo.getFullYear(), weekAgo.getMonth(), weekAgo.getDate())) {
    return date.toLocaleDateString('en-GB', { weekday: 'long' });
  }
  return date.toLocaleDateString('en-GB', sameYear ? { day: 'numeric', month: 'long' } : { day: 'numeric', month: 'long', year: 'numeric' });
}

/** Messages in chronological order → consecutive groups, one per local calendar day. */
export function groupByDay(messages: Message[], now: Date = new Date()): DayGroup[] {
  const groups: DayGroup[] = [];
  for (const m of messages) {
    const day = localDay(new Date(m.sentAt));
    const last = groups[groups.length - 1];
    if (last && last.day === day) last.messages.push(m);
    else groups.push({ day, label: dayLabel(day, now), messages: [m] });
  }
  return groups;
}

export function timeOfDay(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

/** The chat list's time column, as WhatsApp shows it: time today, "Yesterday", the weekday within a week, else the date. */
export function listTime(iso: string | null, now: Date = new Date()): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const day = localDay(d);
  if (day === localDay(now)) return timeOfDay(iso);
  const label = dayLabel(day, now);
  if (label === 'Yesterday' || /^[A-Z][a-z]+day$/.test(label)) return label;
  return d.toLocaleDateString('en-GB', { day: '2-digit', month: '2-digit', year: 'numeric' });
}

/** A moment with its time (notes, "since"): "14:05" today, else "Yesterday 14:05", "Monday 14:05", "03/11/2026 14:05". */
export function stampTime(iso: string | null, now: Date = new Date()): string {
  const when = listTime(iso, now);
  if (!iso || !when || /^\d\d:\d\d$/.test(when)) return when;
  return `${when} ${timeOfDay(iso)}`;
}

/** "2 December, 14:05": when something happened, for a notice. */
export function dayAndTime(iso: string): string {
  return new Date(iso).toLocaleString('en-GB', { day: 'numeric', month: 'long', hour: '2-digit', minute: '2-digit' });
}
