// Request validation with TypeBox's compiler instead of Ajv's defaults: query strings and path
// params are converted from text to the schema's types (they can only be text), bodies are not
// (a JSON 42 is not the string "42"). The first failure names the part and field:
// "body/name Expected string length greater or equal to 1".
import fp from 'fastify-plugin';
import type { FastifyPluginAsync } from 'fastify';
import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import { AppError } from '../../lib/errors.ts';

/**
 * Query strings and path params are flat objects of text: convert each field whose schema wants
 * a number or boolean, strictly ("1.5" is not an integer; anything unconvertible stays text and
 * fails validation with the field's name).
 */
function convertFlat(schema: TSchema, data: unknown): unknown {
  const props = (schema as { properties?: Record<string, TSchema> }).properties;
  if (!props || data === null || typeof data !== 'object' || Array.isArray(data)) return data;
  const out: Record<string, unknown> = { ...(data as Record<string, unknown>) };
  for (const [key, prop] of Object.entries(props)) {
    const raw = out[key];
    if (typeof raw !== 'string') continue;
    const type = (prop as { type?: string }).type;
    if (type === 'integer' && /^-?\d{1,16}$/.test(raw)) out[key] = Number(raw);
    else if (type === 'number' && /^-?\d+(\.\d+)?$/.test(raw)) out[key] = Number(raw);
    else if (type === 'boolean' && (raw === 'true' || raw === 'false')) out[key] = raw === 'true';
  }
  return out;
}

const validation: FastifyPluginAsync = async (app) => {
  app.setValidatorCompiler(({ schema, httpPart }) => {
    const typed = schema as TSchema;
    const check = TypeCompiler.Compile(typed);
    const convert = httpPart !== 'body';
    return (data: unknown) => {
      let value = convert ? convertFlat(typed, data) : data;
      if (value !== undefined && value !== null && typeof value === 'object') value = Value.Clone(value);
      value = Value.Default(typed, value);
      if (check.Check(value)) return { value };
      const first = check.Errors(value).First();
      const where = `${httpPart ?? 'request'}${first?.path ?? ''}`;
      return { error: new AppError('INVALID_ARGUMENT', `${where} ${first ? first.message.toLowerCase() : 'is not valid'}`) };
    };
  });
};

export default fp(validation, { name: 'slice-validation', fastify: '5.x' });
