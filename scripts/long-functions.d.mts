export interface LongFunction {
  lines: number;
  file: string;
  line: number;
  name: string;
}
export function longFunctions(maxLines: number, targets: string[]): LongFunction[];
