/** A broken business rule; the HTTP layer turns it into a 400 with the reference's wording. */
export class RegleMetierError extends Error {
  constructor(
    message: string,
    readonly details: unknown = null,
  ) {
    super(message);
    this.name = 'RegleMetierError';
  }
}
