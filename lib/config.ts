/**
 * Config loading shared by every program: each program declares a TypeBox object schema whose keys
 * are environment variable names, and gets back a frozen, typed object. A missing or malformed key
 * fails at start with the key's name and the reason.
 */
import { Type, type TObject, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { AppError } from './errors.ts';
import { maskUrl } from './logger.ts';

export { Type };

export type Env = Record<string, string | undefined>;

function describeError(schema: TSchema, message: string): string {
  const hint = schema.description ? ` (expected ${schema.description})` : '';
  return `${message}${hint}`;
}

/** Turn raw strings into the types the schema asks for, before validation. */
function coerce(schema: TObject, env: Env): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, prop] of Object.entries(schema.properties)) {
    const raw = env[key];
    if (raw === undefined || raw === '') continue;
    const type = (prop as { type?: string }).type;
    if (type === 'integer' || type === 'number') {
      out[key] = /^-?\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : raw;
    } else if (type === 'boolean') {
      out[key] = raw === 'true' || raw === '1' ? true : raw === 'false' || raw === '0' ? false : raw;
    } else {
      out[key] = raw;
    }
  }
  return out;
}

const SECRET_KEY = /SECRET|TOKEN|PASSWORD|_KEY$/;

/** What a rejected value looked like, without ever printing a secret. */
function shown(key: string, raw: string): string {
  if (SECRET_KEY.test(key)) return `a value of ${raw.length} characters`;
  if (/URL$/.test(key)) return JSON.stringify(maskUrl(raw));
  return JSON.stringify(raw.length > 80 ? `${raw.slice(0, 77)}...` : raw);
}

export function loadConfig<S extends TObject>(program: string, schema: S, env: Env = process.env): Readonly<Static<S>> {
  const values = coerce(schema, env);
  Value.Default(schema, values);
  // One problem per key, in the schema's order, so the first line names the first key to fix.
  const problems = new Map<string, string>();
  for (const error of Value.Errors(schema, values)) {
    const key = error.path.replace(/^\//, '').split('/')[0] || '(root)';
    if (problems.has(key)) continue;
    const prop = schema.properties[key];
    const missing = env[key] === undefined || env[key] === '';
    const reason = missing ? 'is missing' : `is invalid: ${error.message.toLowerCase()}, got ${shown(key, env[key]!)}`;
    problems.set(key, prop ? describeError(prop, `${key} ${reason}`) : `${key} ${reason}`);
  }
  if (problems.size > 0) {
    const ordered = Object.keys(schema.properties).filter((k) => problems.has(k));
    const keys = ordered.length > 0 ? ordered : [...problems.keys()];
    throw new AppError('CONFIG_INVALID', `${program} config: ${keys.map((k) => problems.get(k)).join('; ')}`, {
      details: { keys },
    });
  }
  return Object.freeze(values) as Readonly<Static<S>>;
}

/** Frequently used field shapes. */
export const Fields = {
  port: (def?: number, description = 'a TCP port 1-65535') =>
    Type.Integer({ minimum: 1, maximum: 65535, description, ...(def === undefined ? {} : { default: def }) }),
  url: (description: string) => Type.String({ pattern: '^[a-z][a-z0-9+.-]*://', description }),
  oneOf: <T extends string[]>(values: [...T], def?: T[number]) =>
    Type.Union(
      values.map((v) => Type.Literal(v)),
      { description: `one of ${values.join(', ')}`, ...(def === undefined ? {} : { default: def }) },
    ),
};
