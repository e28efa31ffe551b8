// Day separators: a message starts a new day when its local calendar day differs from the previous
// row's. Pending sends use the time they were typed, so they sit under "Today".

/** The local calendar day of an ISO time, as YYYY-MM-DD. */
export function localDayKey(iso: string): string {
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** Whether the row at `time` needs a separator above it, given the previous row's time. */
export function startsNewDay(previousIso: string | undefined, iso: string): boolean {
  return previousIso === undefined || localDayKey(previousIso) !== localDayKey(iso);
}

/** "Today", "Yesterday", a weekday within the last week, else a full date. */
export function dayLabel(iso: string, now: Date = new Date()): string {
  const day = new Date(iso);
  const startOf = (d: Date) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  const days = Math.round((startOf(now) - startOf(day)) / 86_400_000);
  if (days === 0) return "Today";
  if (days === 1) return "Yesterday";
  if (days > 1 && days < 7) return day.toLocaleDateString(undefined, { weekday: "long" });
  const sameYear = day.getFullYear() === now.getFullYear();
  return day.toLocaleDateString(undefined, {
    day: "numeric",
    month: "long",
    ...(sameYear ? {} : { year: "numeric" }),
  });
}

/** A short clock time for a message row. */
export function timeLabel(iso: string): string {
  return new Date(iso).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
}
