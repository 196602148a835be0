/** Test helper: the names of this process's threads, as top -H shows them (/proc/self/task/<tid>/comm). */
import { readdirSync, readFileSync } from "node:fs";

export function threadNames(): string[] {
  return readdirSync("/proc/self/task").map((tid) =>
    readFileSync(`/proc/self/task/${tid}/comm`, "utf8").trim(),
  );
}
