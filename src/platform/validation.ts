/**
 * Validation without type coercion for JSON bodies. The shared server coerces (`coerceTypes: 'array'`),
 * which would turn `"quantite": "5"` into 5 and a lone line object into an array; the reference rejects a
 * string quantity, so bodies are checked as sent. Params and query strings are text and still converted.
 */
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { Value } from 'typebox/value';
import type { App } from '../../platform/server.ts';

interface ValidationIssue {
  keyword: string;
  instancePath: string;
  message: string;
  params: Record<string, unknown>;
}

type Validator = ((data: unknown) => boolean | { value: unknown }) & { errors?: ValidationIssue[] };

export function useStrictValidation(app: App): void {
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
