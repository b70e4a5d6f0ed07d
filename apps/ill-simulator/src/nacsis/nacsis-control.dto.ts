import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsInt, IsNotEmpty, IsObject, IsOptional, IsString, Matches, Max, Min, ValidateNested } from 'class-validator';
import { NACSIS_COMMANDS } from '@illbridge/workflow/nacsis/state-table';
import type { NacsisCommand } from '@illbridge/workflow/nacsis/state-table';
import { NACSIS_STATS } from '@illbridge/workflow/nacsis/states';
import type { NacsisStat } from '@illbridge/workflow/nacsis/states';

const DATE = /^\d{8}$/;
const DATE_MESSAGE = { message: '$property must be a date YYYYMMDD' };

/** `POST /_sim/nacsis/participants` */
export class ParticipantDto {
  @IsString() @IsNotEmpty() participantId: string;
  @IsString() @IsNotEmpty() name: string;
  @IsOptional() @IsString() @IsNotEmpty() userId?: string;
  @IsOptional() @IsString() password?: string;
}

/** `POST /_sim/nacsis/records` */
export class CreateRecordDto {
  /** The borrowing library (OMLID). */
  @IsString() @IsNotEmpty() as: string;
  /** Candidate lenders (HMLID) in order; names (HMLNM) from the participants. */
  @IsArray() @ArrayMaxSize(5) @IsString({ each: true }) candidates: string[];
  @IsOptional() @IsIn(['COPY', 'LOAN']) service?: 'COPY' | 'LOAN';
  /** Default 未処理 (ordered). The record gets there by replaying commands through the state table. */
  @IsOptional() @IsIn(NACSIS_STATS as NacsisStat[]) stat?: NacsisStat;
  /** Index of the candidate holding the record; the ones before it refused (RECEIVE + PARDON). Default 0. */
  @IsOptional() @IsInt() @Min(0) @Max(4) lenderIndex?: number;
  /** Top-level fields, e.g. `{ "ONO": "O-1", "ACCT": "pb" }`; they win over the generated ones. */
  @IsOptional() @IsObject() fields?: Record<string, string>;
  /** Groups, e.g. `{ "BIBG": [{ "BIBNT": "…" }] }`. */
  @IsOptional() @IsObject() groups?: Record<string, Record<string, string>[]>;
  @IsOptional() @IsString() comment?: string;
  @IsOptional() @Matches(DATE, DATE_MESSAGE) created?: string;
  @IsOptional() @Matches(DATE, DATE_MESSAGE) updated?: string;
  @IsOptional() @IsInt() seed?: number;
}

/** `POST /_sim/nacsis/records/:id/act` */
export class ActDto {
  @IsString() @IsNotEmpty() as: string;
  @IsIn(NACSIS_COMMANDS as unknown as NacsisCommand[]) command: NacsisCommand;
  @IsOptional() @IsString() comment?: string;
  @IsOptional() @IsObject() fields?: Record<string, string>;
  @IsOptional() @IsObject() groups?: Record<string, Record<string, string>[]>;
  /** Only needed if `as` is both borrower and lender of the record. */
  @IsOptional() @IsIn(['BORROWER', 'LENDER']) side?: 'BORROWER' | 'LENDER';
}

/** `POST /_sim/nacsis/generate` */
export class GenerateDto {
  @IsString() @IsNotEmpty() ourParticipantId: string;
  @IsInt() @Min(1) @Max(10_000) count: number;
  @IsOptional() @IsInt() seed?: number;
  /** Records are created over this many days up to today (default 60). */
  @IsOptional() @IsInt() @Min(1) @Max(3650) days?: number;
}

/** `POST /_sim/nacsis/faults` */
export class CatpFaultsDto {
  @IsOptional() @IsInt() @Min(0) catpFailNext?: number;
  @IsOptional() @IsInt() @Min(300) @Max(599) catpStatus?: number;
  @IsOptional() @IsBoolean() expireHandles?: boolean;
  @IsOptional() @IsInt() @Min(0) expireHandlesAfter?: number;
  @IsOptional() @IsInt() @Min(0) emptyRetrieveNext?: number;
  @IsOptional() @IsInt() @Min(0) dropAnswerAfterApplyNext?: number;
}

/** One library's holding in `POST /_sim/nacsis/holdings`. */
export class HoldingDto {
  @IsString() @IsNotEmpty() participantId: string;
  @IsOptional() @IsString() location?: string;
  @IsOptional() @IsArray() @IsString({ each: true }) volumes?: string[];
  @IsOptional() @IsString() callNumber?: string;
  @IsOptional() @IsString() registrationNumber?: string;
}

/** `POST /_sim/nacsis/holdings`: a NACSIS-CAT title (BOOK, or SERIAL for a BIBID starting with A) and the
 *  libraries holding it (BHOLD / SHOLD). */
export class TitleDto {
  @Matches(/^[A-Z]{2}\d{8}$/, { message: 'bibId must be a NACSIS-CAT ID such as BN01234567 (books) or AN00123456 (serials)' }) bibId: string;
  @IsString() @IsNotEmpty() title: string;
  @IsOptional() @IsString() isbn?: string;
  @IsOptional() @IsString() issn?: string;
  @IsArray() @ArrayMaxSize(200) @ValidateNested({ each: true }) @Type(() => HoldingDto) holdings: HoldingDto[];
}

/** `settings.invalidHandle`: how an unknown, released or expired handle is answered. */
export class InvalidHandleDto {
  @IsInt() @Min(300) @Max(599) status: number;
  @IsString() @Matches(/^[^\r\n]*$/, { message: 'reasonPhrase must be one line' }) reasonPhrase: string;
  @IsString() @Matches(/^[^\r\n]+$/, { message: 'message must be one non-empty line' }) message: string;
}

/** `POST /_sim/nacsis/settings` */
export class SettingsDto {
  @IsOptional() @IsInt() @Min(0) handleTtlMs?: number;
  @IsOptional() @IsInt() @Min(1) @Max(10_000) retrievePageSize?: number;
  @IsOptional() @IsBoolean() rangeOperators?: boolean;
  @IsOptional() @ValidateNested() @Type(() => InvalidHandleDto) invalidHandle?: InvalidHandleDto;
  /** A non-empty line without a colon-separated `Name: value` shape, or null for none. */
  @IsOptional() @IsString() @Matches(/^[^\r\n]+$/, { message: 'getHandleExtraLine must be one non-empty line' }) getHandleExtraLine?: string | null;
  /** Fixes "today" (RNWDT of changes); null goes back to the real date in Japan. */
  @IsOptional() @Matches(DATE, DATE_MESSAGE) today?: string | null;
}
