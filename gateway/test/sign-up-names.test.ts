// Sign-up asks for the person's and the business's name (issue 14): both optional, trimmed, kept,
// and answered in GET /api/me; bad values are refused with the field named and nothing stored.
import t from 'tap';
import { createDb } from '../../sql/database.ts';
import { Browser, build, startDb } from './helpers.ts';

const db = await startDb(t, 'gateway-sign-up-names');
const app = await build(t, db);

t.test('names given at sign-up are kept and shown by /api/me', async (t) => {
  const b = new Browser(app);
  const res = await b.request('POST', '/api/auth/register', { email: 'ana@flores.example', password: 'correct horse battery', name: '  Ana Souza ', businessName: 'Flores da Ana' });
  t.equal(res.statusCode, 200, res.body);
  t.match(res.json().user, { email: 'ana@flores.example', name: 'Ana Souza', businessName: 'Flores da Ana' });
  t.match((await b.request('GET', '/api/me')).json().user, { name: 'Ana Souza', businessName: 'Flores da Ana' }, 'and by every later /api/me');
  // A second sign-in reads them from the table.
  const again = new Browser(app);
  again.address = '203.0.113.77';
  t.match((await again.request('POST', '/api/auth/login', { email: 'ana@flores.example', password: 'correct horse battery' })).json().user, { name: 'Ana Souza' });
});

t.test('names are optional', async (t) => {
  const b = new Browser(app);
  b.address = '203.0.113.20';
  const res = await b.register('bruno@example.com');
  t.equal(res.statusCode, 200);
  t.match(res.json().user, { name: null, businessName: null });
});

t.test('bad names are refused, naming the field, and no account is made', async (t) => {
  const cases: [object, RegExp][] = [
    [{ name: '' }, /name/],
    [{ name: '   ' }, /name/],
    [{ businessName: 'x'.repeat(121) }, /businessName/],
    [{ name: 'Ana', nickname: 'A' }, /nickname|additional/],
  ];
  for (const [extra, field] of cases) {
    const b = new Browser(app);
    b.address = '203.0.113.30';
    const res = await b.request('POST', '/api/auth/register', { email: 'carla@example.com', password: 'correct horse battery', ...extra });
    t.equal(res.statusCode, 400, JSON.stringify(extra));
    t.match(res.json().error.message, field, res.json().error.message);
  }
  const admin = createDb<any>(db.adminUrl, { max: 1 });
  t.teardown(() => admin.destroy());
  t.same(await admin.selectFrom('gateway.users').select('id').where('email', '=', 'carla@example.com').execute(), [], 'nothing stored');
});
