// pg_hba.conf lines for the slice containers' subnet: only the slice_N roles may log in from it.
// The gateway's and the supervisor's roles (and the superuser) are rejected by pg_hba whatever
// password is offered, so a slice that learns one cannot use it. pg_hba is first-match: the reject
// line must follow the slice line. Role regexes in pg_hba need PostgreSQL 16 or later.

export const SLICE_ROLE_REGEX = '/^slice_[0-9]+$';
const MARK = '# slice containers (added by the supervisor)';

export function sliceHbaLines(subnet: string, database = 'all'): string[] {
  return [`host ${database} ${SLICE_ROLE_REGEX} ${subnet} scram-sha-256`, `host all all ${subnet} reject`];
}

/** The file's text with the subnet block (re)written at its end; earlier versions' lines dropped. */
export function withSliceHba(text: string, subnet: string): string {
  const old = new Set([MARK, `host all all ${subnet} scram-sha-256`, ...sliceHbaLines(subnet)]);
  const kept = text.split('\n').filter((line) => !old.has(line.trim()));
  while (kept.length && kept[kept.length - 1]!.trim() === '') kept.pop();
  return [...kept, '', MARK, ...sliceHbaLines(subnet), ''].join('\n');
}
