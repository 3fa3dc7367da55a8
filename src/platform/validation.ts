/**
 * Route input validation with TypeBox's compiler. JSON bodies are checked exactly as sent (no coercion: a
 * string `"5"` where an integer is expected is a 400, as in the reference); params, query strings and
 * headers are text, so they are converted to the schema's types first.
 */
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { Value } from 'typebox/value';
import type { FastifySchemaCompiler } from 'fastify';

interface ValidationIssue {
  keyword: string;
  instancePath: string;
  message: string;
  params: Record<string, unknown>;
}

type Validator = ((data: unknown) => boolean | { value: unknown }) & { errors?: ValidationIssue[] };

export function useStrictValidation(app: { setValidatorCompiler: (compiler: FastifySchemaCompiler<unknown>) => unknown }): void {
  app.setValidatorCompiler(({ schema, httpPart }) => {
    const checker = Compile(schema as TSchema);
    const convert = httpPart === 'params' || httpPart === 'querystring' || httpPart === 'headers';
    const validate: Validator = (data: unknown) => {
      const value = convert ? convertText(schema as TSchema, data) : data;
      if (checker.Check(value)) return convert ? { value } : true;
      validate.errors = [...checker.Errors(value)]
        // TypeBox reports an extra property twice (as "schema is false" and as additionalProperties).
        .filter((e) => e.keyword !== 'boolean')
        .map((e) => ({ keyword: e.keyword, instancePath: e.instancePath, message: e.message, params: e.params }));
      return false;
    };
    return validate as never;
  });
}

const INTEGER_TEXT = /^-?\d{1,15}$/;
const NUMBER_TEXT = /^-?\d{1,15}(\.\d{1,15})?$/;

/**
 * Converts text inputs to the schema's types, but only from plain decimal notation: TypeBox alone would
 * read "2.5" as the integer 2, "0x10" as 16 and "" as 0. A value that is not plain decimal stays a string
 * and fails validation with a clear message.
 */
function convertText(schema: TSchema, data: unknown): unknown {
  // Value.Convert may convert in place: keep the raw text aside.
  const raw = typeof data === 'object' && data !== null ? { ...(data as Record<string, unknown>) } : data;
  const converted = Value.Convert(schema, typeof raw === 'object' && raw !== null ? { ...raw } : raw);
  const properties = (schema as { properties?: Record<string, { type?: unknown }> }).properties;
  if (!properties || typeof raw !== 'object' || raw === null || typeof converted !== 'object' || converted === null) {
    return converted;
  }
  const result = converted as Record<string, unknown>;
  for (const [key, text] of Object.entries(raw)) {
    const type = properties[key]?.type;
    if (typeof text !== 'string') continue;
    if ((type === 'integer' && !INTEGER_TEXT.test(text)) || (type === 'number' && !NUMBER_TEXT.test(text))) result[key] = text;
  }
  return result;
}
