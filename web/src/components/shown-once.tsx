// A secret the server shows once (an API key, a webhook's signing secret): read-only, selectable,
// a copy button, and the warning that it will not come back. The secret lives in this component's
// caller's state only, never in the query cache, so a reload or leaving the page forgets it.
import { useRef, useState, type ReactNode } from 'react';
import { Button } from './ui.tsx';

export function ShownOnce({ id, title, label, value, testId, onDone, children }: { id: string; title: ReactNode; label: string; value: string; testId: string; onDone: () => void; children?: ReactNode }) {
  const input = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<'yes' | 'no' | null>(null);
  const copy = async () => {
    input.current?.select();
    try {
      await navigator.clipboard.writeText(value);
      setCopied('yes');
    } catch {
      // No clipboard (plain http, or the permission refused): the text is selected for Ctrl+C.
      setCopied('no');
    }
  };
  return (
    <div role="region" aria-labelledby={`${id}-title`} data-testid={testId} className="space-y-2 rounded-lg border border-amber-300 bg-amber-50 p-3">
      <p id={`${id}-title`} className="text-sm font-medium text-stone-900">
        {title}
      </p>
      <div className="flex gap-2">
        <label htmlFor={id} className="sr-only">
          {label}
        </label>
        <input
          ref={input}
          id={id}
          data-testid={`${testId}-value`}
          readOnly
          value={value}
          spellCheck={false}
          onFocus={(e) => e.target.select()}
          className="min-w-0 flex-1 rounded-md border border-stone-300 bg-white px-2 py-1.5 font-mono text-xs text-stone-900"
        />
        <Button data-testid={`${testId}-copy`} onClick={() => void copy()}>
          Copy
        </Button>
      </div>
      <p className="text-sm text-stone-800">
        <b>Copy it now: you will not see it again.</b> Queunir does not show it a second time. {children}
      </p>
      <p role="status" data-testid={`${testId}-copied`} className="text-xs text-stone-700">
        {copied === 'yes' ? 'Copied.' : copied === 'no' ? 'This browser did not let Queunir copy it: it is selected, press Ctrl+C (⌘C on a Mac).' : ''}
      </p>
      <Button variant="secondary" data-testid={`${testId}-done`} onClick={onDone}>
        I have copied it
      </Button>
    </div>
  );
}
