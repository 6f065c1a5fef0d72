export function scanErrorCodes(dir?: string): string[];
