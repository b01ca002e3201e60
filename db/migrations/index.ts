import type { Migration } from "kysely/migration";
import * as foundation from "./2026_11_21_01_foundation";
import * as contributions from "./2026_11_21_02_contributions";
import * as review from "./2026_11_21_03_review";
import * as searchOrder from "./2026_11_21_04_search_order";
import * as searchTable from "./2026_11_22_05_search_table";
import * as tagUsage from "./2026_11_22_06_tag_usage";
import * as notificationLink from "./2026_11_23_07_notification_link";
import * as photoRenditions from "./2026_11_23_08_photo_renditions";
import * as publishing from "./2026_11_30_10_publishing";
import * as audit from "./2026_11_30_12_audit";
import * as publicationIndexes from "./2026_11_30_13_publication_indexes";
import * as privacyGroundwork from "./2026_11_30_14_privacy_groundwork";
import * as embargo from "./2026_11_30_15_embargo";
import * as statistics from "./2026_11_30_16_statistics";
import * as reach from "./2026_11_30_17_reach";
import * as dataExport from "./2026_11_30_18_export";
import * as consent from "./2026_11_30_19_consent";
import * as twoFactor from "./2026_11_30_20_two_factor";
import * as statisticsHistogram from "./2026_11_30_22_statistics_histogram";
import * as statisticsGeneration from "./2026_11_30_23_statistics_generation";
import * as calendarChanges from "./2026_11_30_24_calendar_changes";
import * as contentChanges from "./2026_11_30_26_content_changes";
import * as thanksOrder from "./2026_11_30_25_thanks_order";
import * as contributionCards from "./2026_12_01_27_contribution_cards";

// Listed here rather than read from the folder so that every runner (tsx, vitest, a bundle) sees
// the same set. Names sort by date: add new ones at the end.
export const migrations: Record<string, Migration> = {
  "2026_11_21_01_foundation": foundation,
  "2026_11_21_02_contributions": contributions,
  "2026_11_21_03_review": review,
  "2026_11_21_04_search_order": searchOrder,
  "2026_11_22_05_search_table": searchTable,
  "2026_11_22_06_tag_usage": tagUsage,
  "2026_11_23_07_notification_link": notificationLink,
  "2026_11_23_08_photo_renditions": photoRenditions,
  "2026_11_30_10_publishing": publishing,
  "2026_11_30_12_audit": audit,
  "2026_11_30_13_publication_indexes": publicationIndexes,
  "2026_11_30_14_privacy_groundwork": privacyGroundwork,
  "2026_11_30_15_embargo": embargo,
  "2026_11_30_16_statistics": statistics,
  "2026_11_30_17_reach": reach,
  "2026_11_30_18_export": dataExport,
  "2026_11_30_19_consent": consent,
  "2026_11_30_20_two_factor": twoFactor,
  "2026_11_30_22_statistics_histogram": statisticsHistogram,
  "2026_11_30_23_statistics_generation": statisticsGeneration,
  "2026_11_30_24_calendar_changes": calendarChanges,
  "2026_11_30_25_thanks_order": thanksOrder,
  "2026_11_30_26_content_changes": contentChanges,
  "2026_12_01_27_contribution_cards": contributionCards,
};
