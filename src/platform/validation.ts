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
      const value = convert ? Value.Convert(schema as TSchema, data) : data;
      if (checker.Check(value)) return convert ? { value } : true;
      validate.errors = [...checker.Errors(value)]
        // TypeBox reports an extra property twice (as "schema is false" and as additionalProperties).
        .filter((e) => e.keyword !== 'boolean')
        .map((e) => ({ keyword: e.keyword, instancePath: e.instancePath, message: e.message, params: e.params as Record<string, unknown> }));
      return false;
    };
    return validate as never;
  });
}
