// The gateway's database URL. Production sets DATABASE_URL (role wank_gateway). With none, a
// developer machine uses the embedded PostgreSQL under .data/pg: the gateway role is provisioned
// on it with a password kept in .data/gateway-db-password, and the gateway connects as that role.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createDb, resolveAdminDatabaseUrl, urlForRole, type DatabaseUrlResolution } from '../../sql/database.ts';
import { provisionGateway, GATEWAY_ROLE } from '../../sql/provision.ts';

export function readOrCreateSecret(file: string, bytes: number): string {
  try {
    const value = fs.readFileSync(file, 'utf8').trim();
    if (value) return value;
  } catch {
    /* created below */
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const value = crypto.randomBytes(bytes).toString('base64url');
  fs.writeFileSync(file, value + '\n', { mode: 0o600 });
  fs.chmodSync(file, 0o600);
  return value;
}

/** Provision role wank_gateway on an admin connection and return its URL. */
export async function provisionGatewayUrl(adminUrl: string, dataDir: string): Promise<string> {
  const password = readOrCreateSecret(path.join(dataDir, 'gateway-db-password'), 24);
  const admin = createDb(adminUrl, { max: 2, applicationName: 'queunir-gateway-provision' });
  try {
    await provisionGateway(admin, { password });
  } finally {
    await admin.destroy();
  }
  return urlForRole(adminUrl, GATEWAY_ROLE, password);
}

export async function resolveGatewayDatabaseUrl(options: {
  databaseUrl: string | undefined;
  root: string;
  dataDir: string;
  embeddedPort: number;
}): Promise<{ url: string; embedded: DatabaseUrlResolution['embedded'] }> {
  if (options.databaseUrl) return { url: options.databaseUrl, embedded: null };
  const admin = await resolveAdminDatabaseUrl({ root: options.root, embeddedPort: options.embeddedPort });
  return { url: await provisionGatewayUrl(admin.url, options.dataDir), embedded: admin.embedded };
}
