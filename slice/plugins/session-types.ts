// The session as the slice's app sees it: the WaSession contract plus, in sim mode, the
// simulator's controls (used by the sim-only routes that tests and the demo drive).
import type { SimControl, WaSession } from '../wa/types.ts';

export type SliceSession = WaSession & { sim?: SimControl };
