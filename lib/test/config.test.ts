import t from 'tap';
import { AppError } from '../errors.ts';
import { loadGatewayConfig } from '../../gateway/config.ts';
import { loadSupervisorConfig } from '../../supervisor/config.ts';
import { loadSliceConfig } from '../../slice/config.ts';

const goodSlice = { DATABASE_URL: 'postgres://slice_1:pw@127.0.0.1:5432/wank_saas', SLICE_ID: '1', SLICE_TOKEN: 'x'.repeat(43) };

function failure(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected the config to be rejected');
}

t.test('valid environments load, typed and frozen, with defaults', async (t) => {
  const slice = loadSliceConfig(goodSlice);
  t.equal(slice.SLICE_ID, 1);
  t.equal(slice.WA_MODE, 'wwebjs');
  t.ok(Object.isFrozen(slice));
  const gw = loadGatewayConfig({ PORT: '3100' });
  t.equal(gw.PORT, 3100);
  t.equal(gw.MONITOR_INTERVAL_MS, 60000);
  const sup = loadSupervisorConfig({});
  t.equal(sup.RUNTIME, 'process');
  t.equal(sup.SUPERVISOR_SOCKET, '/run/wank/supervisor.sock');
});

t.test('a missing key is rejected with its name', async (t) => {
  const { SLICE_TOKEN: _dropped, ...noToken } = goodSlice;
  const err = failure(() => loadSliceConfig(noToken));
  t.equal(err.code, 'CONFIG_INVALID');
  t.match(err.message, /^slice config: SLICE_TOKEN is missing/);
  t.same(err.details, { keys: ['SLICE_TOKEN'] });
});

t.test('a malformed key is rejected with its name and the reason', async (t) => {
  const cases: [string, () => unknown, RegExp][] = [
    ['gateway PORT', () => loadGatewayConfig({ PORT: 'eighty' }), /gateway config: PORT is invalid: .*"eighty"/],
    ['gateway PORT range', () => loadGatewayConfig({ PORT: '70000' }), /PORT is invalid/],
    ['gateway PUBLIC_URL', () => loadGatewayConfig({ PUBLIC_URL: 'app.example' }), /PUBLIC_URL is invalid/],
    ['gateway SESSION_SECRET', () => loadGatewayConfig({ SESSION_SECRET: 'short' }), /SESSION_SECRET is invalid/],
    ['supervisor RUNTIME', () => loadSupervisorConfig({ RUNTIME: 'kubernetes' }), /supervisor config: RUNTIME is invalid: .*docker, process/],
    ['supervisor MAX_SLICES', () => loadSupervisorConfig({ MAX_SLICES: '0' }), /MAX_SLICES is invalid/],
    ['slice SLICE_ID', () => loadSliceConfig({ ...goodSlice, SLICE_ID: 'one' }), /slice config: SLICE_ID is invalid/],
    ['slice DATABASE_URL', () => loadSliceConfig({ ...goodSlice, DATABASE_URL: 'not a url' }), /DATABASE_URL is invalid/],
  ];
  for (const [name, fn, pattern] of cases) {
    const err = failure(fn);
    t.match(err.message, pattern, name);
    t.equal(err.kind, 'InvalidArgument', `${name} is an InvalidArgument`);
  }
});

t.test('a rejected secret or URL password is never echoed', async (t) => {
  const secret = 'sk_' + 'z'.repeat(10);
  const err = failure(() => loadGatewayConfig({ SESSION_SECRET: secret }));
  t.match(err.message, /SESSION_SECRET is invalid.*a value of 13 characters/);
  t.notMatch(err.message, /zzzz/);
  const urlErr = failure(() => loadSliceConfig({ ...goodSlice, DATABASE_URL: 'postgres//slice_1:hunter2@db' }));
  t.match(urlErr.message, /DATABASE_URL is invalid/);
  t.notMatch(urlErr.message, /hunter2/);
});
