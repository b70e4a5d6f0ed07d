import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsNotEmpty, IsOptional, IsString, IsUUID, Matches, MaxLength, ValidateNested } from 'class-validator';
import { MAX_NOTE_LENGTH } from '../action.dto';
import { MAX_LENDERS } from './order-fields';

/** NACSIS-CAT IDs: two capital letters and eight digits (BN01234567 books, AN00123456 serials). */
export const BIB_ID = /^[A-Z]{2}\d{8}$/;
/** Participant ids (`FA` + 6 digits as NII hands them out; other letters are accepted). */
export const PARTICIPANT_ID = /^[A-Z]{2}\d{6}$/;
export const ACCOUNTING_TYPES = ['pb', 'pr', 're', 'ho', 'co'] as const;

const SHORT = 200;
const LONG = 1000;

/** A candidate lender, as `GET /api/nacsis/holdings` answers it (NACSIS `HMLG`). */
export class LenderDto {
  @ApiProperty({ example: 'FA000001', description: 'NACSIS participant id (HMLID)' })
  @Matches(PARTICIPANT_ID, { message: 'participantId must be a NACSIS participant id such as FA000001' })
  participantId: string;

  @ApiPropertyOptional({ example: '東京大学', description: 'HMLNM' }) @IsOptional() @IsString() @MaxLength(SHORT) name?: string;
  @ApiPropertyOptional({ example: '総合図', description: 'LOC' }) @IsOptional() @IsString() @MaxLength(SHORT) location?: string;
  @ApiPropertyOptional({ example: '12', description: 'VOL: the volume held that is asked for' }) @IsOptional() @IsString() @MaxLength(SHORT) volume?: string;
  @ApiPropertyOptional({ example: '490.1||Y', description: 'CLN' }) @IsOptional() @IsString() @MaxLength(SHORT) callNumber?: string;
  @ApiPropertyOptional({ description: 'RGTN' }) @IsOptional() @IsString() @MaxLength(SHORT) registrationNumber?: string;
}

/** What a NACSIS ORDER carries that is not bibliographic data. NACSIS requires accounting, (copies) copyType,
 *  staff and address: a draft may lack them, an ORDER without them is refused by NACSIS (422) with its reason. */
export class NacsisOrderDto {
  @ApiPropertyOptional({ enum: ACCOUNTING_TYPES, example: 'pb', description: 'ACCT: pb public expense, pr private, re research, ho, co' })
  @IsOptional()
  @IsIn(ACCOUNTING_TYPES as unknown as string[], { message: `nacsis.accounting must be one of: ${ACCOUNTING_TYPES.join(', ')}` })
  accounting?: string;

  @ApiPropertyOptional({ example: '電子複写', description: 'TYPE: the copy type (required by NACSIS for copies)' })
  @IsOptional() @IsString() @MaxLength(SHORT) copyType?: string;

  @ApiPropertyOptional({ example: '普通', description: 'SPVIA: the delivery method' }) @IsOptional() @IsString() @MaxLength(SHORT) delivery?: string;
  @ApiPropertyOptional({ example: 'ILL担当 TEL=000-000-0001', description: 'OSTAF: our staff in charge' }) @IsOptional() @IsString() @MaxLength(SHORT) staff?: string;
  @ApiPropertyOptional({ example: '〒000-0001 見本市2-2 見本大学図書館', description: 'OADRS: our address' }) @IsOptional() @IsString() @MaxLength(LONG) address?: string;
}

/** `POST /api/borrowing-requests`. */
export class CreateBorrowingRequestDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'The NACSIS-ILL profile the request belongs to; none for a request a discovery system pushes before it is ordered anywhere' })
  @IsOptional()
  @IsUUID('all', { message: 'profileId must be a profile id (UUID)' })
  profileId?: string;

  @ApiProperty({ enum: ['COPY', 'LOAN'], example: 'COPY' })
  @IsIn(['COPY', 'LOAN'], { message: 'format must be COPY or LOAN' })
  format: 'COPY' | 'LOAN';

  @ApiProperty({ example: '免疫薬理' }) @IsString() @IsNotEmpty({ message: 'title must not be empty' }) @MaxLength(LONG) title: string;
  @ApiPropertyOptional({ example: '山田太郎' }) @IsOptional() @IsString() @MaxLength(LONG) author?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(LONG) publisher?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(LONG) placeOfPublication?: string;
  @ApiPropertyOptional({ example: '1994' }) @IsOptional() @IsString() @MaxLength(64) year?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(SHORT) edition?: string;
  @ApiPropertyOptional({ example: '12' }) @IsOptional() @IsString() @MaxLength(SHORT) volume?: string;
  @ApiPropertyOptional({ example: '3' }) @IsOptional() @IsString() @MaxLength(SHORT) issue?: string;
  @ApiPropertyOptional({ example: '45-52' }) @IsOptional() @IsString() @MaxLength(SHORT) pages?: string;
  @ApiPropertyOptional({ example: 'Sample article' }) @IsOptional() @IsString() @MaxLength(LONG) articleTitle?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(LONG) articleAuthor?: string;
  @ApiPropertyOptional({ example: '4417004684' }) @IsOptional() @Matches(/^[0-9Xx-]{10,17}$/, { message: 'isbn must be an ISBN (10 or 13 digits, hyphens allowed)' }) isbn?: string;
  @ApiPropertyOptional({ example: '0000-0000' }) @IsOptional() @Matches(/^\d{4}-?\d{3}[\dXx]$/, { message: 'issn must be an ISSN such as 0000-0000' }) issn?: string;

  @ApiPropertyOptional({ example: 'AN10184701', description: 'NACSIS-CAT BIBID, when known' })
  @IsOptional()
  @Matches(BIB_ID, { message: 'bibId must be a NACSIS-CAT ID such as BN01234567 or AN10184701' })
  bibId?: string;

  @ApiPropertyOptional({ example: 'P-0042', description: 'The patron' }) @IsOptional() @IsString() @MaxLength(128) requesterId?: string;
  @ApiPropertyOptional({ example: '佐藤 花子', description: 'The patron (sent to NACSIS as CLNT)' }) @IsOptional() @IsString() @MaxLength(300) requesterName?: string;

  @ApiProperty({ example: 'MAIN', description: 'The library the item is picked up at (a library code)' })
  @IsString()
  @IsNotEmpty({ message: 'pickupLibraryCode must not be empty' })
  @MaxLength(64)
  pickupLibraryCode: string;

  @ApiPropertyOptional({ example: 'MAIN', description: "The resource sharing library that owns the request (default: the profile's, else the pickup library)" })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  ownerLibraryCode?: string;

  @ApiPropertyOptional({ type: [LenderDto], maxItems: MAX_LENDERS, description: 'Candidate lenders, in the order they are asked (HMLG); at least one is needed to order' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_LENDERS, { message: `lenders may name at most ${MAX_LENDERS} candidate lenders` })
  @ValidateNested({ each: true })
  @Type(() => LenderDto)
  lenders?: LenderDto[];

  @ApiPropertyOptional({ type: NacsisOrderDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => NacsisOrderDto)
  nacsis?: NacsisOrderDto;

  @ApiPropertyOptional({ description: 'A note (sent with the ORDER as CMMNT)' }) @IsOptional() @IsString() @MaxLength(MAX_NOTE_LENGTH) note?: string;
}

/** `POST /api/borrowing-requests/:id/order`. */
export class OrderBorrowingRequestDto {
  @ApiPropertyOptional({ format: 'uuid', description: "The NACSIS-ILL profile to order through: required for a request created without one; else it must be the request's" })
  @IsOptional()
  @IsUUID('all', { message: 'profileId must be a profile id (UUID)' })
  profileId?: string;

  @ApiPropertyOptional({ type: [LenderDto], maxItems: MAX_LENDERS, description: "Replaces the draft's candidate lenders (in order)" })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_LENDERS, { message: `lenders may name at most ${MAX_LENDERS} candidate lenders` })
  @ValidateNested({ each: true })
  @Type(() => LenderDto)
  lenders?: LenderDto[];

  @ApiPropertyOptional({ type: NacsisOrderDto, description: "Replaces the draft's NACSIS order fields that it names" })
  @IsOptional()
  @ValidateNested()
  @Type(() => NacsisOrderDto)
  nacsis?: NacsisOrderDto;

  @ApiPropertyOptional({ description: "The ORDER's comment (CMMNT); default the request's note" }) @IsOptional() @IsString() @MaxLength(MAX_NOTE_LENGTH) note?: string;
}
