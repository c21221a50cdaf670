// Where a search's words occur in a text, ignoring case and accents ("jose" finds "José"), so the
// results can mark them. The server's matching is its own; this only shows the person why a result
// is there.

/** Folds one character: lower case, accents dropped. Keeps the length mapping one to one. */
function fold(ch: string): string {
  return ch.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

export function queryWords(q: string): string[] {
  const words = q
    .split(/\s+/)
    .map((w) => [...w.replace(/^["'(]+|["'),.!?]+$/g, '')].map(fold).join(''))
    .filter((w) => w.length > 0);
  // Longest first, so "order" wins over "or" where both match.
  return [...new Set(words)].sort((a, b) => b.length - a.length);
}

/** Ranges [start, end) of `text` (UTF-16 indices) where one of the words occurs, sorted, not overlapping. */
export function highlightRanges(text: string, words: string[]): Array<[number, number]> {
  if (words.length === 0 || !text) return [];
  // The folded text, with the original index of each folded code unit.
  let folded = '';
  const origin: number[] = [];
  let i = 0;
  for (const ch of text) {
    const f = fold(ch);
    for (let k = 0; k < f.length; k++) origin.push(i);
    folded += f;
    i += ch.length;
  }
  origin.push(text.length);
  const ranges: Array<[number, number]> = [];
  let at = 0;
  while (at < folded.length) {
    let hit: string | undefined;
    for (const w of words) if (folded.startsWith(w, at)) { hit = w; break; }
    if (!hit) { at++; continue; }
    const start = origin[at]!;
    const endFolded = at + hit.length;
    // End at the start of the next original character (a folded "é" spans one character).
    let end = origin[endFolded] ?? text.length;
    if (end <= start) end = start + 1;
    ranges.push([start, end]);
    at = endFolded;
  }
  return ranges;
}
