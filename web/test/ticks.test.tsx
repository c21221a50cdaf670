import { describe, expect, it } from 'vitest';
import { render, screen } from '@testing-library/react';
import { Ticks } from '../src/components/ticks.tsx';
import { MessageBubble } from '../src/components/message-bubble.tsx';

describe('ticks', () => {
  it.each([
    [-1, 'Failed to send'],
    [0, 'Pending'],
    [1, 'Sent'],
    [2, 'Delivered'],
    [3, 'Read'],
    [4, 'Played'],
  ])('ack %i reads as %s', (ack, label) => {
    render(<Ticks ack={ack} />);
    const el = screen.getByTestId('ack');
    expect(el.getAttribute('aria-label')).toBe(label);
    expect(el.getAttribute('data-ack')).toBe(String(ack));
  });

  it('one tick for sent, two for delivered, two blue for read', () => {
    const paths = (ack: number) => {
      const { container, unmount } = render(<Ticks ack={ack} />);
      const svg = container.querySelector('svg')!;
      const out = { strokes: svg.querySelectorAll('path').length, blue: svg.getAttribute('class')!.includes('sky') };
      unmount();
      return out;
    };
    expect(paths(1)).toEqual({ strokes: 1, blue: false });
    expect(paths(2)).toEqual({ strokes: 2, blue: false });
    expect(paths(3)).toEqual({ strokes: 2, blue: true });
  });

  it('outgoing bubbles show ticks, incoming ones do not; media shows a placeholder', () => {
    const base = { id: 'x', chatId: 'c', author: null, body: 'hi', sentAt: '2026-11-25T10:00:00.000Z', ack: 2, quotedId: null };
    render(<MessageBubble message={{ ...base, direction: 'out', mediaKind: null }} />);
    expect(screen.getByTestId('ack').getAttribute('aria-label')).toBe('Delivered');
    render(<MessageBubble message={{ ...base, id: 'y', direction: 'in', mediaKind: 'image' }} />);
    expect(screen.getAllByTestId('ack')).toHaveLength(1);
    expect(screen.getByTestId('media-placeholder').textContent).toContain('Photo');
  });
});
