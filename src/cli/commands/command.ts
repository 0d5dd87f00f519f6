/** One `llmtail` subcommand. */
export interface Command {
  summary: string;
  /** Returns the process exit status. Config and usage errors are thrown (status 2). */
  run(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number>;
}
