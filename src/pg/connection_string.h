// Connection strings: which --store values mean PostgreSQL, whether libpq can parse one, and how
// to name the target in a log line without its password.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace twofold::pg {

// "postgresql://..." or "postgres://...": libpq's URL forms.
bool is_postgres_url(std::string_view store);

// Whether libpq parses it (a URL or key=value pairs). The error does not quote the string: it
// may hold a password.
Status check_conninfo(const std::string& conninfo);

// "user@host:port/database", no password; "(unparsable connection string)" if it does not parse.
std::string redacted(const std::string& conninfo);

}  // namespace twofold::pg
