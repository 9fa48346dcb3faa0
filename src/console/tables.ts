import type { ColumnType, Generated, JSONColumnType } from 'kysely';

/** The console's own table (migrations/0008_console_actions.ts); kept here so the console stays in its folder. */
export interface ConsoleActionsTable {
  id: Generated<number>;
  at: ColumnType<Date, Date | string | undefined, never>;
  actor: string;
  role: string;
  action: string;
  target: string;
  detail: JSONColumnType<Record<string, unknown>, string | null, never> | null;
  outcome: 'done' | 'refused';
  message: string | null;
}

export type ConsoleTables = {
  console_actions: ConsoleActionsTable;
};
