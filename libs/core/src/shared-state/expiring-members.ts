/** Members with their expiry times, kept in this process; an expired member reads as absent. */
export class ExpiringMembers {
  private readonly expiries = new Map<string, number>();

  has(member: string, now = Date.now()): boolean {
    const expiresAtMs = this.expiries.get(member);
    if (expiresAtMs === undefined) {
      return false;
    }
    if (expiresAtMs <= now) {
      this.expiries.delete(member);
      return false;
    }
    return true;
  }

  /** Keeps the later of the known expiry and `expiresAtMs`, so an older message cannot shorten it. */
  extend(member: string, expiresAtMs: number): void {
    this.expiries.set(member, Math.max(expiresAtMs, this.expiries.get(member) ?? 0));
  }

  delete(member: string): void {
    this.expiries.delete(member);
  }

  /** Drops expired members, which lookups alone keep until they are looked up again. */
  prune(now = Date.now()): void {
    for (const [member, expiresAtMs] of this.expiries) {
      if (expiresAtMs <= now) {
        this.expiries.delete(member);
      }
    }
  }
}
