import { describe, expect, it } from 'vitest';
import { render } from '@testing-library/react';
import { RichText } from '../src/components/rich-text.tsx';
import { MessageBubble } from '../src/components/message-bubble.tsx';
import { parseWhatsApp, plainText, safeHref } from '../src/lib/wa-format.ts';
import { highlightRanges, queryWords } from '../src/lib/highlight.ts';
import { displayName, formatPhone } from '../src/lib/phone.ts';
import { listTime, stampTime } from '../src/lib/dates.ts';
import type { Message } from '../src/api/types.ts';

const html = (text: string) => render(<RichText text={text} />).container;

describe('WhatsApp formatting, rendered as elements', () => {
  it('bold, italic, strike, inline code and monospace blocks', () => {
    const el = html('*Order* is _ready_, ~not~ `late`:\n```line 1\n  line *2*```');
    expect(el.querySelector('strong')?.textContent).toBe('Order');
    expect(el.querySelector('em')?.textContent).toBe('ready');
    expect(el.querySelector('s')?.textContent).toBe('not');
    const codes = el.querySelectorAll('code');
    expect(codes[0]!.textContent).toBe('late');
    expect(codes[1]!.textContent).toBe('line 1\n  line *2*');
    expect(codes[1]!.querySelector('strong')).toBeNull();
  });

  it('nests, and leaves markers inside words or with spaces alone', () => {
    expect(html('*_both_*').querySelector('strong em')?.textContent).toBe('both');
    for (const text of ['2*3*4', 'snake_case_name', '* not bold *', 'a ~ b ~ c', '**']) {
      const el = html(text);
      expect(el.querySelector('strong, em, s')).toBeNull();
      expect(el.textContent).toBe(text);
    }
  });

  it('makes http(s), www, mailto, tel and email addresses links that open safely', () => {
    const el = html('See https://shop.example/a_b_c?x=1. Or www.shop.example, mail ana@shop.example, call tel:+351912345678 (mailto:ops@shop.example)');
    const links = [...el.querySelectorAll('a')];
    expect(links.map((a) => a.getAttribute('href'))).toEqual([
      'https://shop.example/a_b_c?x=1',
      'https://www.shop.example/',
      'mailto:ana@shop.example',
      'tel:+351912345678',
      'mailto:ops@shop.example',
    ]);
    for (const a of links) {
      expect(a.getAttribute('rel')).toBe('noopener noreferrer');
      expect(a.getAttribute('target')).toBe('_blank');
    }
    expect(el.querySelector('em')).toBeNull(); // the underscores in the address are not italics
  });

  it('a javascript: or data: address never becomes a link', () => {
    const el = html('click javascript:alert(document.cookie) or data:text/html;base64,PHNjcmlwdD4= or JaVaScRiPt:alert(1) or vbscript:x');
    expect(el.querySelectorAll('a')).toHaveLength(0);
    expect(el.textContent).toContain('javascript:alert(document.cookie)');
    expect(safeHref('javascript:alert(1)')).toBeNull();
    expect(safeHref('data:text/html,<script>alert(1)</script>')).toBeNull();
    expect(safeHref(' JAVASCRIPT:alert(1)')).toBeNull();
    expect(safeHref('https://shop.example')).toBe('https://shop.example/');
  });

  it('HTML in a message is text, never markup', () => {
    const el = html('<img src=x onerror=alert(1)> <b>hi</b>');
    expect(el.querySelector('img, b')).toBeNull();
    expect(el.textContent).toBe('<img src=x onerror=alert(1)> <b>hi</b>');
  });

  it('a bubble keeps line breaks and shows the formatting; previews drop the markers', () => {
    const m: Message = { id: '1', chatId: 'c', direction: 'in', author: null, body: 'Hi *there*\nsecond line https://x.example', sentAt: new Date().toISOString(), ack: 0, mediaKind: null, quotedId: null };
    const { getByTestId } = render(<MessageBubble message={m} />);
    const body = getByTestId('message-body');
    expect(body.className).toContain('whitespace-pre-wrap');
    expect(body.textContent).toBe('Hi there\nsecond line https://x.example');
    expect(body.querySelector('a')?.getAttribute('href')).toBe('https://x.example/');
    expect(plainText(parseWhatsApp('*Price* list _today_'))).toBe('Price list today');
  });
});

describe('search highlighting', () => {
  it('marks the query words, ignoring case and accents', () => {
    const words = queryWords('jose  ORDER');
    expect(highlightRanges('Order for José: the order', words)).toEqual([
      [0, 5],
      [10, 14],
      [20, 25],
    ]);
    const el = render(<RichText text="Olá *José*, your ORDER" highlight={queryWords('jose order')} />).container;
    expect([...el.querySelectorAll('mark')].map((m) => m.textContent)).toEqual(['José', 'ORDER']);
    expect(el.querySelector('strong mark')?.textContent).toBe('José');
  });

  it('decomposed accents and an empty query', () => {
    const text = 'Jose\u0301 came'; // "José" written as e + combining accent
    expect(highlightRanges(text, queryWords('josé'))).toEqual([[0, 5]]);
    expect(highlightRanges('anything', queryWords('   '))).toEqual([]);
  });
});

describe('phone numbers and dates, one way everywhere', () => {
  it('formats WhatsApp numbers internationally', () => {
    expect(formatPhone('351912345678')).toBe('+351 912 345 678');
    expect(formatPhone('+49 1512 3456789')).toBe('+49 1512 3456789');
    expect(formatPhone('4915123456789')).toBe('+49 1512 3456789');
    expect(formatPhone(null)).toBe('');
    expect(formatPhone('not a number')).toBe('not a number');
    expect(displayName('351912345678')).toBe('+351 912 345 678');
    expect(displayName('Priya Sharma')).toBe('Priya Sharma');
  });

  it('dates as WhatsApp shows them', () => {
    const now = new Date(2026, 10, 25, 12, 0); // Wednesday 25 November 2026
    expect(listTime(new Date(2026, 10, 25, 9, 5).toISOString(), now)).toBe('09:05');
    expect(listTime(new Date(2026, 10, 24, 9, 5).toISOString(), now)).toBe('Yesterday');
    expect(listTime(new Date(2026, 10, 20, 9, 5).toISOString(), now)).toBe('Friday');
    expect(listTime(new Date(2026, 10, 2, 9, 5).toISOString(), now)).toBe('02/11/2026');
    expect(stampTime(new Date(2026, 10, 24, 18, 30).toISOString(), now)).toBe('Yesterday 18:30');
    expect(stampTime(new Date(2026, 10, 25, 8, 0).toISOString(), now)).toBe('08:00');
  });
});
