// Installer and upgrade helper: on the admin connection (the supervisor's role), create or update
// role wank_gateway with the password the gateway's env file holds, its schema `gateway`, and run
// the gateway's migrations; then bring every existing slice_N schema to the latest slice
// migration (the supervisor does that too when it (re)creates a slice; an upgrade should not wait).
//
//   npx tsx scripts/db-migrate.ts [--admin-env /etc/wank/supervisor.env] [--gateway-env /etc/wank/gateway.env] [--no-slices]
//
// The admin URL comes from DATABASE_URL in the admin env file (or the environment); the gateway's
// password from the password of DATABASE_URL in the gateway env file (or GATEWAY_DB_PASSWORD).
// Nothing secret is printed.
import fs from 'node:fs';
import { sql } from 'kysely';
import { AppError } from '../lib/errors.ts';
import { parseEnvFile } from '../lib/env-file.ts';
import { runMain } from '../lib/run-main.ts';
import { checkConnection, createDb } from '../sql/database.ts';
import { provisionGateway, provisionSlice } from '../sql/provision.ts';
import { maskUrl } from '../lib/logger.ts';

/** KEY=VALUE lines as systemd's EnvironmentFile reads them (comments, optional quotes). */
export function readEnvFile(file: string): Record<string, string> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new AppError('INVALID_ARGUMENT', `cannot read ${file}: ${(err as Error).message}`);
  }
  return parseEnvFile(text);
}

function argValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (!v || v.startsWith('--')) throw new AppError('INVALID_ARGUMENT', `${name} needs a value`);
  return v;
}

runMain('db-migrate', async () => {
  const args = process.argv.slice(2);
  const known = new Set(['--admin-env', '--gateway-env', '--no-slices']);
  for (let i = 0; i < args.length; i++) {
    if (!known.has(args[i]!)) throw new AppError('INVALID_ARGUMENT', `unknown argument ${args[i]} (known: ${[...known].join(', ')})`);
    if (args[i] !== '--no-slices') i++;
  }
  const adminEnvFile = argValue(args, '--admin-env');
  const gatewayEnvFile = argValue(args, '--gateway-env');
  const adminUrl = adminEnvFile ? readEnvFile(adminEnvFile).DATABASE_URL : process.env.DATABASE_URL;
  if (!adminUrl) throw new AppError('INVALID_ARGUMENT', `no admin DATABASE_URL${adminEnvFile ? ` in ${adminEnvFile}` : ' in the environment'}`);

  let password = process.env.GATEWAY_DB_PASSWORD;
  if (gatewayEnvFile) {
    const url = readEnvFile(gatewayEnvFile).DATABASE_URL;
    if (!url) throw new AppError('INVALID_ARGUMENT', `no DATABASE_URL in ${gatewayEnvFile}`);
    const u = new URL(url);
    if (decodeURIComponent(u.username) !== 'wank_gateway') throw new AppError('INVALID_ARGUMENT', `DATABASE_URL in ${gatewayEnvFile} must log in as wank_gateway, not ${u.username}`);
    password = decodeURIComponent(u.password);
  }
  if (!password) throw new AppError('INVALID_ARGUMENT', 'no gateway password: pass --gateway-env FILE or set GATEWAY_DB_PASSWORD');

  const admin = createDb<any>(adminUrl, { max: 2, applicationName: 'queunir-db-migrate' });
  try {
    await checkConnection(admin, adminUrl);
    const gw = await provisionGateway(admin, { password });
    process.stdout.write(`db-migrate: ${maskUrl(adminUrl)}: role ${gw.role} ready, gateway migrations applied: ${gw.migrations.length ? gw.migrations.join(', ') : 'none (up to date)'}\n`);
    if (!args.includes('--no-slices')) {
      const rows = await sql<{ n: string }>`select nspname as n from pg_namespace where nspname ~ '^slice_[0-9]+$' order by nspname`.execute(admin);
      for (const { n } of rows.rows) {
        const id = Number(n.slice('slice_'.length));
        const r = await provisionSlice(admin, id);
        process.stdout.write(`db-migrate: ${n}: ${r.migrations.length ? `applied ${r.migrations.join(', ')}` : 'up to date'}\n`);
      }
    }
  } finally {
    await admin.destroy();
  }
});
