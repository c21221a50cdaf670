// A message or note body with WhatsApp's formatting and safe links, as React elements (never
// dangerouslySetInnerHTML); `highlight` marks a search's words.
import { Fragment, memo, type ReactNode } from 'react';
import { parseWhatsApp, type Span } from '../lib/wa-format.ts';
import { highlightRanges } from '../lib/highlight.ts';

function marked(text: string, words: string[] | undefined, key: string): ReactNode {
  const ranges = words ? highlightRanges(text, words) : [];
  if (ranges.length === 0) return text;
  const out: ReactNode[] = [];
  let at = 0;
  ranges.forEach(([s, e], i) => {
    if (s > at) out.push(text.slice(at, s));
    out.push(
      <mark key={`${key}-${i}`} data-testid="search-hit" className="rounded-sm bg-amber-200 px-0.5 text-inherit">
        {text.slice(s, e)}
      </mark>,
    );
    at = e;
  });
  if (at < text.length) out.push(text.slice(at));
  return out;
}

function render(spans: Span[], words: string[] | undefined, prefix: string, links: boolean): ReactNode[] {
  return spans.map((s, i) => {
    const key = `${prefix}${i}`;
    switch (s.t) {
      case 'text':
        return <Fragment key={key}>{marked(s.text, words, key)}</Fragment>;
      case 'link':
        // Inside something clickable (a search result) a link would nest one control in another.
        if (!links) return <Fragment key={key}>{marked(s.text, words, key)}</Fragment>;
        return (
          <a key={key} href={s.href} target="_blank" rel="noopener noreferrer" className="break-all text-sky-700 underline hover:text-sky-900">
            {marked(s.text, words, key)}
          </a>
        );
      case 'code':
        return (
          <code key={key} className="rounded bg-black/5 px-1 font-mono text-[0.92em]">
            {s.text}
          </code>
        );
      case 'pre':
        return (
          <code key={key} className="my-0.5 block whitespace-pre-wrap rounded bg-black/5 px-1.5 py-1 font-mono text-[0.92em]">
            {s.text.replace(/^\n/, '')}
          </code>
        );
      case 'bold':
        return <strong key={key}>{render(s.children, words, `${key}.`, links)}</strong>;
      case 'italic':
        return <em key={key}>{render(s.children, words, `${key}.`, links)}</em>;
      case 'strike':
        return <s key={key}>{render(s.children, words, `${key}.`, links)}</s>;
    }
  });
}

export const RichText = memo(function RichText({ text, highlight, links = true }: { text: string; highlight?: string[]; links?: boolean }) {
  return <>{render(parseWhatsApp(text), highlight, '', links)}</>;
});
