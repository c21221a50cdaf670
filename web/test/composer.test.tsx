import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/react';
import { Composer } from '../src/components/composer.tsx';

describe('composer', () => {
  it('Enter sends the trimmed text and clears the box', () => {
    const onSend = vi.fn();
    render(<Composer onSend={onSend} />);
    const box = screen.getByTestId('composer') as HTMLTextAreaElement;
    fireEvent.change(box, { target: { value: '  Hello there  ' } });
    const notPrevented = fireEvent.keyDown(box, { key: 'Enter' });
    expect(notPrevented).toBe(false); // no newline typed
    expect(onSend).toHaveBeenCalledExactlyOnceWith('Hello there');
    expect(box.value).toBe('');
  });

  it('Shift+Enter does not send and lets the newline in', () => {
    const onSend = vi.fn();
    render(<Composer onSend={onSend} />);
    const box = screen.getByTestId('composer') as HTMLTextAreaElement;
    fireEvent.change(box, { target: { value: 'line one' } });
    const notPrevented = fireEvent.keyDown(box, { key: 'Enter', shiftKey: true });
    expect(notPrevented).toBe(true);
    fireEvent.change(box, { target: { value: 'line one\nline two' } });
    expect(onSend).not.toHaveBeenCalled();
    fireEvent.keyDown(box, { key: 'Enter' });
    expect(onSend).toHaveBeenCalledWith('line one\nline two');
  });

  it('Enter on an empty or blank box sends nothing; the button sends too', () => {
    const onSend = vi.fn();
    render(<Composer onSend={onSend} />);
    const box = screen.getByTestId('composer');
    fireEvent.keyDown(box, { key: 'Enter' });
    fireEvent.change(box, { target: { value: '   ' } });
    fireEvent.keyDown(box, { key: 'Enter' });
    expect(onSend).not.toHaveBeenCalled();
    fireEvent.change(box, { target: { value: 'via button' } });
    fireEvent.click(screen.getByTestId('send'));
    expect(onSend).toHaveBeenCalledWith('via button');
  });
});
