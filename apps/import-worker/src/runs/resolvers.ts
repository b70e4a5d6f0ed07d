/** The resolvers live in libs/database (resolvers.ts) since the Netpunkt endpoint judges receipts with them too. */
export { LibraryResolver, PartnerResolver } from '@illbridge/database/resolvers';
