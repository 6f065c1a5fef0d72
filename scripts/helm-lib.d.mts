// Types for helm-lib.mjs, imported from TypeScript by test/helm-chart.e2e-spec.ts.
export declare const HELM_PACKAGE: string;
export declare const HELM_PACKAGE_VERSION: string;
export declare const HELM_PACKAGE_INTEGRITY: string;
export declare const HELM_VERSION: string;
export declare function helmCacheDir(root: string): string;
export declare function ensureHelm(root: string): Promise<string>;
export declare function runHelm(
  root: string,
  args: string[],
  options?: { env?: Record<string, string> },
): Promise<{ code: number; stdout: string; stderr: string }>;
