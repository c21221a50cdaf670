import { describe, expect, it } from 'vitest';
import { dayLabel, groupByDay, listTime } from '../src/lib/dates.ts';
import type { Message } from '../src/api/types.ts';

// Local times, so the test holds in any time zone.
const at = (y: number, mo: number, d: number, h: number, mi = 0) => new Date(y, mo - 1, d, h, mi).toISOString();
const m = (id: string, sentAt: string): Message => ({ id, chatId: 'c', direction: 'in', author: null, body: id, sentAt, ack: 1, mediaKind: null, quotedId: null });
const now = new Date(2026, 10, 25, 15, 30); // Wednesday 25 November 2026, 15:30 local

describe('day grouping', () => {
  it('groups consecutive messages by local calendar day with Today / Yesterday / weekday / date labels', () => {
    const groups = groupByDay(
      [
        m('1', at(2025, 12, 31, 23, 59)),
        m('2', at(2026, 11, 2, 9)),
        m('3', at(2026, 11, 2, 18)),
        m('4', at(2026, 11, 21, 10)),
        m('5', at(2026, 11, 24, 23, 59)),
        m('6', at(2026, 11, 25, 0, 0)),
        m('7', at(2026, 11, 25, 15, 0)),
      ],
      now,
    );
    expect(groups.map((g) => [g.label, g.messages.map((x) => x.id).join('')])).toEqual([
      ['31 December 2025', '1'],
      ['2 November', '23'],
      ['Saturday', '4'],
      ['Yesterday', '5'],
      ['Today', '67'],
    ]);
    expect(groups[4]!.day).toBe('2026-11-25');
  });

  it('labels and list times', () => {
    expect(dayLabel('2026-11-25', now)).toBe('Today');
    expect(dayLabel('2026-11-24', now)).toBe('Yesterday');
    expect(listTime(at(2026, 11, 25, 9, 5), now)).toBe('09:05');
    expect(listTime(at(2026, 11, 24, 9, 5), now)).toBe('Yesterday');
    expect(listTime(at(2026, 11, 20, 9, 5), now)).toBe('Friday');
    expect(listTime(null, now)).toBe('');
  });

  it('an empty conversation has no groups', () => {
    expect(groupByDay([], now)).toEqual([]);
  });
});
