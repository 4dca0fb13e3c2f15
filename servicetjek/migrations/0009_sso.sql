-- Single sign-on (issue 15): an admin invites people by e-mail; the first SSO sign-in binds
-- the account to the identity provider's subject (issuer|sub). Both stay NULL for people
-- who sign in with a password. Uniqueness is enforced in servicetjek.users (DuckDB updates
-- of indexed columns within one transaction are fragile).
ALTER TABLE users ADD COLUMN email VARCHAR;
ALTER TABLE users ADD COLUMN sso_subject VARCHAR;
