/** Test helper: the names of a process's threads (this one's by default), as top -H shows them (/proc/<pid>/task/<tid>/comm). */
import { readdirSync, readFileSync } from "node:fs";

export function threadNames(pid: number | "self" = "self"): string[] {
  const names: string[] = [];
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      names.push(readFileSync(`/proc/${pid}/task/${tid}/comm`, "utf8").trim());
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return names;
}
