#include "pg/connection_string.h"

#include <libpq-fe.h>

#include <map>
#include <memory>

namespace twofold::pg {

namespace {

struct OptionsDeleter {
    void operator()(PQconninfoOption* o) const { PQconninfoFree(o); }
};

std::unique_ptr<PQconninfoOption, OptionsDeleter> parse(const std::string& conninfo) {
    char* error = nullptr;
    std::unique_ptr<PQconninfoOption, OptionsDeleter> options(PQconninfoParse(conninfo.c_str(), &error));
    PQfreemem(error);
    return options;
}

}  // namespace

bool is_postgres_url(std::string_view store) {
    return store.rfind("postgresql://", 0) == 0 || store.rfind("postgres://", 0) == 0;
}

Status check_conninfo(const std::string& conninfo) {
    if (!parse(conninfo)) {
        return make_error(Errc::invalid_argument,
                          "postgresql: the connection string does not parse (expected "
                          "postgresql://user[:password]@host[:port]/database[?param=value...])");
    }
    return {};
}

std::string redacted(const std::string& conninfo) {
    const auto options = parse(conninfo);
    if (!options) return "(unparsable connection string)";
    std::map<std::string, std::string> set;
    for (const PQconninfoOption* o = options.get(); o->keyword != nullptr; ++o) {
        if (o->val != nullptr) set[o->keyword] = o->val;
    }
    std::string out;
    if (set.contains("user")) out += set["user"] + "@";
    out += set.contains("host") ? set["host"] : set.contains("hostaddr") ? set["hostaddr"] : "localhost";
    if (set.contains("port")) out += ":" + set["port"];
    out += "/" + (set.contains("dbname") ? set["dbname"] : std::string());
    return out;
}

}  // namespace twofold::pg
