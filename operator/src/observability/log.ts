/**
 * Structured logs: one JSON object per line on stdout (pino), with MetalLB's fixed keys where they
 * apply (`op`, `event`, `service`, `reason`, `error`, `msg`) so a MetalLB user's log queries carry over.
 */
import pino, { type Logger } from "pino";
import type { LogLevel } from "../cli/options.ts";

export type { Logger };

/** MetalLB's `all` is pino's `trace`; `none` silences everything. */
const PINO_LEVEL: Record<LogLevel, pino.LevelWithSilent> = {
  all: "trace",
  debug: "debug",
  info: "info",
  warn: "warn",
  error: "error",
  none: "silent",
};

export function createLogger(level: LogLevel, bindings: Record<string, string>): Logger {
  return pino({
    level: PINO_LEVEL[level],
    base: bindings,
    messageKey: "msg",
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}
