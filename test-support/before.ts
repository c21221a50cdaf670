// Run once by tap before any test file: prepares the PostgreSQL template the files copy.
import { ensureTemplate } from './pg.ts';

await ensureTemplate();
