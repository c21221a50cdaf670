// A value edited in place: click (or Enter) to edit, Enter or leaving the field saves, Esc cancels.
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { cx, ErrorText } from './ui.tsx';

export function EditableField({
  label,
  value,
  onSave,
  placeholder,
  testId,
  mono,
  multiline,
  labelAsTyped,
  type = 'text',
}: {
  label: string;
  value: string | null | undefined;
  onSave: (next: string) => Promise<unknown> | void;
  placeholder?: string;
  testId?: string;
  mono?: boolean;
  multiline?: boolean;
  /** A name the person typed (a custom field, a note's date): shown exactly so, not upper-cased. */
  labelAsTyped?: boolean;
  type?: string;
}) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(value ?? '');
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const inputRef = useRef<HTMLInputElement & HTMLTextAreaElement>(null);
  // Esc (or a finished save) ends editing: a blur that follows must not save the draft again.
  const done = useRef(false);
  const inFlight = useRef(false);

  useEffect(() => {
    if (!editing) setDraft(value ?? '');
  }, [value, editing]);
  useEffect(() => {
    if (editing) {
      done.current = false;
      inputRef.current?.focus();
    }
  }, [editing]);

  const commit = async () => {
    if (done.current || inFlight.current) return;
    if (draft === (value ?? '')) {
      done.current = true;
      setEditing(false);
      return;
    }
    setSaving(true);
    setError(null);
    inFlight.current = true;
    try {
      await onSave(draft.trim());
      done.current = true;
      setEditing(false);
    } catch (err) {
      setError(err);
    } finally {
      inFlight.current = false;
      setSaving(false);
    }
  };
  const cancel = () => {
    done.current = true;
    setDraft(value ?? '');
    setError(null);
    setEditing(false);
  };

  const inputProps = {
    'aria-label': label,
    'data-testid': testId ? `${testId}-input` : undefined,
    value: draft,
    disabled: saving,
    onChange: (e: { target: { value: string } }) => setDraft(e.target.value),
    onBlur: () => void commit(),
    onKeyDown: (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        e.stopPropagation();
        e.preventDefault();
        cancel();
      } else if (e.key === 'Enter' && (!multiline || !e.shiftKey)) {
        e.preventDefault();
        void commit();
      }
    },
    className: cx('w-full rounded border border-brand-500 bg-white px-2 py-1 text-sm outline-none ring-2 ring-brand-100', mono && 'font-mono'),
  };

  const named = labelAsTyped ? label : label.toLowerCase();
  const shown = value || placeholder || `Add ${named}`;
  return (
    <div className="group">
      <div className={cx('text-xs font-medium text-stone-500', !labelAsTyped && 'uppercase tracking-wide')}>{label}</div>
      {editing ? (
        multiline ? <textarea ref={inputRef} rows={3} {...inputProps} /> : <input ref={inputRef} type={type} {...inputProps} />
      ) : (
        <button
          type="button"
          data-testid={testId}
          // The visible value is part of the name ("Edit name: Priya"), as speech input expects.
          aria-label={`Edit ${named}: ${shown}`}
          onClick={() => setEditing(true)}
          className={cx('-mx-1 block w-[calc(100%+0.5rem)] rounded px-1 py-1 text-left text-sm hover:bg-stone-100', multiline ? 'whitespace-pre-wrap break-words' : 'truncate', value ? 'text-stone-900' : 'text-stone-500', mono && 'font-mono')}
        >
          {shown}
        </button>
      )}
      {error ? (
        <p role="alert" className="text-xs text-red-700">
          <ErrorText error={error} />
        </p>
      ) : null}
    </div>
  );
}
