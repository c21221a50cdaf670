// The session-store ownership rule both runtimes apply in prepare(): one test per case.
import t from 'tap';
import { storeOwnedBy } from '../runtimes/runtime.ts';
import { LEGACY_GENERATION } from '../slices/records.ts';

t.test('a store marked with this generation is this slice\'s', async (t) => {
  t.equal(storeOwnedBy({ generation: 'gen-a', empty: false }, 'gen-a'), true);
});

t.test('a store marked with another generation is refused, even for a legacy record', async (t) => {
  t.equal(storeOwnedBy({ generation: 'gen-a', empty: false }, 'gen-b'), false);
  t.equal(storeOwnedBy({ generation: 'gen-a', empty: false }, LEGACY_GENERATION), false);
});

t.test('an unmarked store (from before generations) belongs to a legacy record only', async (t) => {
  t.equal(storeOwnedBy({ generation: null, empty: false }, LEGACY_GENERATION), true);
  t.equal(storeOwnedBy({ generation: null, empty: false }, 'gen-a'), false);
});

t.test('an empty store holds nobody\'s login: any generation may take it', async (t) => {
  t.equal(storeOwnedBy({ generation: null, empty: true }, 'gen-a'), true);
  t.equal(storeOwnedBy({ generation: 'gen-b', empty: true }, 'gen-a'), true);
});
