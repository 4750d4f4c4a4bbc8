// SPDX-License-Identifier: AGPL-3.0-or-later
#include "bots/common/template.hpp"

#include <cmath>
#include <cstdio>
#include <ctime>

#include "harmonization/pyfmt.hpp"

namespace intelflow::bots {

using harm::Kind;
using harm::Value;

namespace {

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

std::int64_t to_index(std::string_view s) {
  std::int64_t v = 0;
  for (char c : s) {
    if (v > (INT64_MAX - 9) / 10) throw FormatError("Too many decimal digits in format string");
    v = v * 10 + (c - '0');
  }
  return v;
}

/// Splits a field ("name[a].b!r:spec") into a TemplatePiece (CPython's parse_field
/// and FieldNameIterator).
TemplatePiece parse_field(std::string_view field) {
  TemplatePiece p;
  p.is_field = true;
  std::size_t i = 0;
  char stop = 0;
  while (i < field.size()) {
    char c = field[i++];
    if (c == '{') throw FormatError("unexpected '{' in field name");
    if (c == '[') {
      while (i < field.size() && field[i] != ']') ++i;
      continue;
    }
    if (c == '}' || c == ':' || c == '!') {
      stop = c;
      break;
    }
  }
  std::string_view name = field.substr(0, stop ? i - 1 : i);
  if (stop == '!') {
    if (i >= field.size())
      throw FormatError("end of string while looking for conversion specifier");
    p.conversion = field[i++];
    if (p.conversion != 's' && p.conversion != 'r' && p.conversion != 'a')
      throw FormatError(std::string("Unknown conversion specifier ") + p.conversion);
    if (i < field.size()) {
      if (field[i] != ':') throw FormatError("expected ':' after conversion specifier");
      ++i;
      p.spec = std::string(field.substr(i));
    }
  } else if (stop == ':') {
    p.spec = std::string(field.substr(i));
  }
  if (p.spec.find('{') != std::string::npos)
    throw FormatError("nested replacement fields in a format spec are not supported");

  // Field name: root, then .attr / [key] steps.
  std::size_t j = 0;
  while (j < name.size() && name[j] != '.' && name[j] != '[') ++j;
  p.root = std::string(name.substr(0, j));
  while (j < name.size()) {
    FieldStep st;
    if (name[j] == '.') {
      std::size_t k = ++j;
      while (j < name.size() && name[j] != '.' && name[j] != '[') ++j;
      if (j == k) throw FormatError("Empty attribute in format string");
      st.key = std::string(name.substr(k, j - k));
      st.is_attr = true;
    } else {  // '['
      std::size_t k = ++j;
      while (j < name.size() && name[j] != ']') ++j;
      if (j >= name.size()) throw FormatError("Missing ']' in format string");
      if (j == k) throw FormatError("Empty attribute in format string");
      st.key = std::string(name.substr(k, j - k));
      ++j;
      if (j < name.size() && name[j] != '.' && name[j] != '[')
        throw FormatError("Only '.' or '[' may follow ']' in format field specifier");
    }
    if (all_digits(st.key)) {
      st.is_int = true;
      st.index = to_index(st.key);
    }
    p.steps.push_back(std::move(st));
  }
  return p;
}

// ---------------------------------------------------------------- format spec

struct Spec {
  std::string fill = " ";
  char align = 0;
  char sign = 0;
  bool z = false;
  bool alt = false;
  bool zero = false;
  std::size_t width = 0;
  char grouping = 0;
  int precision = -1;
  char type = 0;
};

std::size_t utf8_len(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

std::size_t utf8_char_len(unsigned char c) {
  if (c < 0x80) return 1;
  if ((c >> 5) == 0x6) return 2;
  if ((c >> 4) == 0xE) return 3;
  if ((c >> 3) == 0x1E) return 4;
  return 1;
}

bool is_align(char c) {
  return c == '<' || c == '>' || c == '=' || c == '^';
}

Spec parse_spec(std::string_view s) {
  Spec sp;
  std::size_t i = 0;
  if (!s.empty()) {
    std::size_t cl = utf8_char_len(static_cast<unsigned char>(s[0]));
    if (cl < s.size() && is_align(s[cl])) {
      sp.fill = std::string(s.substr(0, cl));
      sp.align = s[cl];
      i = cl + 1;
    } else if (is_align(s[0])) {
      sp.align = s[0];
      i = 1;
    }
  }
  if (i < s.size() && (s[i] == '+' || s[i] == '-' || s[i] == ' ')) sp.sign = s[i++];
  if (i < s.size() && s[i] == 'z') {
    sp.z = true;
    ++i;
  }
  if (i < s.size() && s[i] == '#') {
    sp.alt = true;
    ++i;
  }
  if (i < s.size() && s[i] == '0') {
    sp.zero = true;
    if (sp.align == 0) {
      sp.fill = "0";
      sp.align = '=';
    }
    ++i;
  }
  std::size_t w0 = i;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  if (i > w0) sp.width = static_cast<std::size_t>(to_index(s.substr(w0, i - w0)));
  if (i < s.size() && (s[i] == ',' || s[i] == '_')) sp.grouping = s[i++];
  if (i < s.size() && s[i] == '.') {
    ++i;
    std::size_t p0 = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == p0) throw FormatError("Format specifier missing precision");
    sp.precision = static_cast<int>(to_index(s.substr(p0, i - p0)));
  }
  if (s.size() - i > 1) throw FormatError("Invalid format specifier");
  if (i < s.size()) sp.type = s[i];
  return sp;
}

void pad(std::string& out, std::string_view sign, std::string_view body, const Spec& sp,
         char default_align) {
  std::size_t len = utf8_len(sign) + utf8_len(body);
  char align = sp.align ? sp.align : default_align;
  std::size_t n = sp.width > len ? sp.width - len : 0;
  auto fill = [&](std::size_t k) {
    for (std::size_t q = 0; q < k; ++q) out += sp.fill;
  };
  switch (align) {
    case '<':
      out += sign;
      out += body;
      fill(n);
      break;
    case '^':
      fill(n / 2);
      out += sign;
      out += body;
      fill(n - n / 2);
      break;
    case '=':
      out += sign;
      fill(n);
      out += body;
      break;
    default:
      fill(n);
      out += sign;
      out += body;
  }
}

std::string group_digits(std::string_view digits, char sep, int every) {
  if (sep == 0 || digits.size() <= static_cast<std::size_t>(every)) return std::string(digits);
  std::string r;
  std::size_t first = digits.size() % every;
  if (first == 0) first = every;
  r.append(digits.substr(0, first));
  for (std::size_t i = first; i < digits.size(); i += every) {
    r += sep;
    r.append(digits.substr(i, every));
  }
  return r;
}

void format_string(std::string& out, std::string_view s, const Spec& sp) {
  if (sp.type != 0 && sp.type != 's')
    throw FormatError(std::string("Unknown format code '") + sp.type +
                      "' for object of type 'str'");
  if (sp.sign) throw FormatError("Sign not allowed in string format specifier");
  if (sp.alt) throw FormatError("Alternate form (#) not allowed in string format specifier");
  if (sp.align == '=') throw FormatError("'=' alignment not allowed in string format specifier");
  if (sp.grouping) throw FormatError(std::string("Cannot specify '") + sp.grouping + "' with 's'.");
  std::string_view body = s;
  if (sp.precision >= 0) {
    std::size_t cps = 0, i = 0;
    while (i < s.size() && cps < static_cast<std::size_t>(sp.precision)) {
      i += utf8_char_len(static_cast<unsigned char>(s[i]));
      ++cps;
    }
    body = s.substr(0, std::min(i, s.size()));
  }
  pad(out, "", body, sp, '<');
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

void format_float(std::string& out, double d, const Spec& sp, std::string_view type_name);

void format_int(std::string& out, std::int64_t v, const Spec& sp, std::string_view type_name) {
  char t = sp.type;
  if (t == 'e' || t == 'E' || t == 'f' || t == 'F' || t == 'g' || t == 'G' || t == '%') {
    format_float(out, static_cast<double>(v), sp, type_name);
    return;
  }
  if (t != 0 && t != 'd' && t != 'n' && t != 'b' && t != 'o' && t != 'x' && t != 'X' && t != 'c')
    throw FormatError(std::string("Unknown format code '") + t + "' for object of type '" +
                      std::string(type_name) + "'");
  if (sp.precision >= 0) throw FormatError("Precision not allowed in integer format specifier");
  if (t == 'c') {
    if (sp.sign) throw FormatError("Sign not allowed with integer format specifier 'c'");
    if (v < 0 || v > 0x10FFFF) throw FormatError("%c arg not in range(0x110000)");
    std::string ch;
    append_utf8(ch, static_cast<std::uint32_t>(v));
    pad(out, "", ch, sp, '<');
    return;
  }
  if (sp.grouping == ',' && t != 0 && t != 'd')
    throw FormatError(std::string("Cannot specify ',' with '") + t + "'.");
  bool neg = v < 0;
  std::uint64_t mag = neg ? 0 - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v);
  int base = 10;
  const char* prefix = "";
  if (t == 'b') base = 2, prefix = "0b";
  if (t == 'o') base = 8, prefix = "0o";
  if (t == 'x') base = 16, prefix = "0x";
  if (t == 'X') base = 16, prefix = "0X";
  const char* digs = t == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string digits;
  do {
    digits += digs[mag % base];
    mag /= base;
  } while (mag != 0);
  std::string rev(digits.rbegin(), digits.rend());
  std::string body = sp.alt ? prefix : "";
  body += group_digits(rev, sp.grouping, base == 10 ? 3 : 4);
  std::string sign = neg ? "-" : sp.sign == '+' ? "+" : sp.sign == ' ' ? " " : "";
  pad(out, sign, body, sp, '>');
}

void format_float(std::string& out, double d, const Spec& sp, std::string_view type_name) {
  char t = sp.type;
  if (t != 0 && t != 'e' && t != 'E' && t != 'f' && t != 'F' && t != 'g' && t != 'G' && t != 'n' &&
      t != '%')
    throw FormatError(std::string("Unknown format code '") + t + "' for object of type '" +
                      std::string(type_name) + "'");
  bool neg = std::signbit(d) && !std::isnan(d);
  double mag = std::fabs(d);
  std::string body;
  bool upper = t == 'E' || t == 'F' || t == 'G';
  if (std::isnan(d) || std::isinf(d)) {
    body = std::isnan(d) ? "nan" : "inf";
    if (upper)
      for (auto& c : body) c = static_cast<char>(c - 32);
    if (t == '%') body += '%';
  } else if (t == 0 && sp.precision < 0) {
    body = harm::py::float_repr(mag);
  } else {
    double x = t == '%' ? mag * 100 : mag;
    int prec = sp.precision < 0 ? 6 : sp.precision;
    char conv = t;
    if (t == 0 || t == 'n') {
      conv = 'g';
      if (prec == 0) prec = 1;
    }
    if (t == '%') conv = 'f';
    char fmt[8];
    std::snprintf(fmt, sizeof fmt, sp.alt ? "%%#.*%c" : "%%.*%c", conv);
    char buf[512];
    int n = std::snprintf(buf, sizeof buf, fmt, prec, x);
    if (n < 0 || n >= static_cast<int>(sizeof buf))
      throw FormatError("formatted float is too long");
    body.assign(buf, static_cast<std::size_t>(n));
    if (t == 0 && body.find_first_of(".e") == std::string::npos) body += ".0";
    if (t == '%') body += '%';
  }
  if (sp.z && neg && !std::isnan(d)) {
    // 'z': negative zero after rounding becomes positive
    bool all_zero = body.find_first_of("123456789") == std::string::npos;
    if (all_zero) neg = false;
  }
  if (sp.grouping) {
    std::size_t end = body.find_first_not_of("0123456789");
    if (end == std::string::npos) end = body.size();
    body = group_digits(body.substr(0, end), sp.grouping, 3) + body.substr(end);
  }
  std::string sign = neg ? "-" : sp.sign == '+' ? "+" : sp.sign == ' ' ? " " : "";
  pad(out, sign, body, sp, '>');
}

int days_from_civil(int y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int>(doe) - 719468;
}

void format_datetime(std::string& out, const DateTimeArg& dt, std::string_view spec) {
  char buf[64];
  if (spec.empty()) {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d", dt.year, dt.month, dt.day,
                  dt.hour, dt.minute, dt.second);
    out += buf;
    if (dt.microsecond != 0) {
      std::snprintf(buf, sizeof buf, ".%06d", dt.microsecond);
      out += buf;
    }
    return;
  }
  // datetime.strftime: %f, %z, %Z are expanded by Python before the C strftime.
  std::string fmt;
  for (std::size_t i = 0; i < spec.size(); ++i) {
    if (spec[i] == '%' && i + 1 < spec.size()) {
      char c = spec[i + 1];
      if (c == 'f') {
        std::snprintf(buf, sizeof buf, "%06d", dt.microsecond);
        fmt += buf;
        ++i;
        continue;
      }
      if (c == 'z' || c == 'Z') {  // naive datetime: empty
        ++i;
        continue;
      }
      fmt += spec[i];
      fmt += c;
      ++i;
      continue;
    }
    fmt += spec[i];
  }
  std::tm tm{};
  tm.tm_year = dt.year - 1900;
  tm.tm_mon = dt.month - 1;
  tm.tm_mday = dt.day;
  tm.tm_hour = dt.hour;
  tm.tm_min = dt.minute;
  tm.tm_sec = dt.second;
  int days =
      days_from_civil(dt.year, static_cast<unsigned>(dt.month), static_cast<unsigned>(dt.day));
  tm.tm_wday = ((days % 7) + 11) % 7;  // 1970-01-01 was a Thursday
  tm.tm_yday = days - days_from_civil(dt.year, 1, 1);
  tm.tm_isdst = -1;
  if (fmt.empty()) return;
  std::string res(fmt.size() * 4 + 64, '\0');
  while (true) {
    std::size_t n = std::strftime(res.data(), res.size(), fmt.c_str(), &tm);
    if (n > 0 || res.size() > 65536) {
      out.append(res.data(), n);
      return;
    }
    res.resize(res.size() * 4);
  }
}

}  // namespace

FormatTemplate FormatTemplate::parse(std::string_view text) {
  FormatTemplate t;
  t.source_ = std::string(text);
  std::string lit;
  auto flush_literal = [&] {
    if (!lit.empty()) {
      TemplatePiece p;
      p.literal = std::move(lit);
      t.pieces_.push_back(std::move(p));
      lit.clear();
    }
  };
  std::size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == '{') {
      if (i + 1 < text.size() && text[i + 1] == '{') {
        lit += '{';
        i += 2;
        continue;
      }
      std::size_t j = i + 1;
      int depth = 1;
      for (; j < text.size(); ++j) {
        if (text[j] == '[') {  // brackets may hold braces
          while (j < text.size() && text[j] != ']') ++j;
          if (j >= text.size()) break;
          continue;
        }
        if (text[j] == '{') ++depth;
        if (text[j] == '}' && --depth == 0) break;
      }
      if (j >= text.size()) throw FormatError("expected '}' before end of string");
      flush_literal();
      t.pieces_.push_back(parse_field(text.substr(i + 1, j - i - 1)));
      ++t.fields_;
      i = j + 1;
    } else if (c == '}') {
      if (i + 1 < text.size() && text[i + 1] == '}') {
        lit += '}';
        i += 2;
        continue;
      }
      throw FormatError("Single '}' encountered in format string");
    } else {
      lit += c;
      ++i;
    }
  }
  flush_literal();
  return t;
}

void format_arg(std::string& out, const FormatArg& arg, char conversion, std::string_view spec) {
  // Conversions turn the argument into a str first.
  if (conversion == 'r' || conversion == 'a' || conversion == 's') {
    std::string s;
    switch (arg.kind) {
      case FormatArg::Kind::None:
        s = "None";
        break;
      case FormatArg::Kind::Text:
        if (conversion == 's')
          s = std::string(arg.text);
        else
          s = harm::py::repr(Value::string(arg.text));
        break;
      case FormatArg::Kind::Value:
        s = conversion == 's' ? harm::py::str(*arg.value) : harm::py::repr(*arg.value);
        break;
      case FormatArg::Kind::DateTime: {
        std::string d;
        format_datetime(d, arg.dt, "");
        if (conversion == 's') {
          s = d;
        } else {
          char buf[96];
          std::snprintf(buf, sizeof buf, "datetime.datetime(%d, %d, %d, %d, %d", arg.dt.year,
                        arg.dt.month, arg.dt.day, arg.dt.hour, arg.dt.minute);
          s = buf;
          if (arg.dt.second || arg.dt.microsecond) s += ", " + std::to_string(arg.dt.second);
          if (arg.dt.microsecond) s += ", " + std::to_string(arg.dt.microsecond);
          s += ")";
        }
        break;
      }
    }
    if (conversion == 'a') {  // ascii(): escape non-ASCII of the repr
      std::string a;
      for (std::size_t i = 0; i < s.size();) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        std::size_t cl = utf8_char_len(c);
        if (c < 0x80) {
          a += static_cast<char>(c);
          ++i;
          continue;
        }
        std::uint32_t cp = cl == 2 ? (c & 0x1F) : cl == 3 ? (c & 0x0F) : (c & 0x07);
        for (std::size_t k = 1; k < cl && i + k < s.size(); ++k)
          cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
        char buf[16];
        if (cp <= 0xFF)
          std::snprintf(buf, sizeof buf, "\\x%02x", cp);
        else if (cp <= 0xFFFF)
          std::snprintf(buf, sizeof buf, "\\u%04x", cp);
        else
          std::snprintf(buf, sizeof buf, "\\U%08x", cp);
        a += buf;
        i += cl;
      }
      s = std::move(a);
    }
    if (spec.empty()) {
      out += s;
      return;
    }
    format_string(out, s, parse_spec(spec));
    return;
  }

  switch (arg.kind) {
    case FormatArg::Kind::None:
      if (!spec.empty())
        throw FormatError("unsupported format string passed to NoneType.__format__");
      out += "None";
      return;
    case FormatArg::Kind::Text:
      if (spec.empty()) {
        out += arg.text;
        return;
      }
      format_string(out, arg.text, parse_spec(spec));
      return;
    case FormatArg::Kind::DateTime:
      format_datetime(out, arg.dt, spec);
      return;
    case FormatArg::Kind::Value:
      break;
  }
  const Value& v = *arg.value;
  if (spec.empty()) {
    if (v.is_string())
      out += v.as_string();
    else
      out += harm::py::str(v);
    return;
  }
  Spec sp = parse_spec(spec);
  switch (v.kind()) {
    case Kind::String:
      format_string(out, v.as_string(), sp);
      return;
    case Kind::Bool:
      format_int(out, v.as_bool() ? 1 : 0, sp, "bool");
      return;
    case Kind::Int:
      format_int(out, v.as_int(), sp, "int");
      return;
    case Kind::BigInt: {
      if ((sp.type != 0 && sp.type != 'd') || sp.precision >= 0 || sp.grouping)
        throw FormatError("unsupported format spec for a big integer");
      std::string_view digits = v.as_string();
      bool neg = !digits.empty() && digits[0] == '-';
      if (neg) digits.remove_prefix(1);
      std::string sign = neg ? "-" : sp.sign == '+' ? "+" : sp.sign == ' ' ? " " : "";
      pad(out, sign, digits, sp, '>');
      return;
    }
    case Kind::Float:
      format_float(out, v.as_float(), sp, "float");
      return;
    case Kind::Null:
      throw FormatError("unsupported format string passed to NoneType.__format__");
    case Kind::List:
      throw FormatError("unsupported format string passed to list.__format__");
    case Kind::Dict:
      throw FormatError("unsupported format string passed to dict.__format__");
    case Kind::Bytes:
      throw FormatError("unsupported format string passed to bytes.__format__");
  }
}

Value subscript(const Value& v, const FieldStep& step) {
  if (step.is_attr) throw FormatError("object has no attribute '" + step.key + "'");
  if (v.is_string()) {
    if (!step.is_int) throw FormatError("string indices must be integers");
    const std::string& s = v.as_string();
    std::int64_t cp = 0;
    for (std::size_t i = 0; i < s.size();) {
      std::size_t cl = utf8_char_len(static_cast<unsigned char>(s[i]));
      if (cp == step.index) return Value::string(s.substr(i, cl));
      ++cp;
      i += cl;
    }
    throw FormatError("string index out of range");
  }
  if (v.is_list()) {
    if (!step.is_int) throw FormatError("list indices must be integers or slices, not str");
    const auto& l = v.as_list();
    if (step.index >= static_cast<std::int64_t>(l.size()))
      throw FormatError("list index out of range");
    return l[static_cast<std::size_t>(step.index)];
  }
  if (v.is_dict()) {
    // An int index looks up an int key, which JSON objects never have.
    if (!step.is_int)
      for (const auto& [k, val] : v.as_dict())
        if (k == step.key) return val;
    throw FormatError("KeyError: " + harm::py::repr(Value::string(step.key)));
  }
  throw FormatError("object is not subscriptable");
}

bool parse_intelmq_datetime(std::string_view s, DateTimeArg& out) {
  auto num = [&](std::size_t pos, std::size_t len, int& v) {
    if (pos + len > s.size()) return false;
    v = 0;
    for (std::size_t i = pos; i < pos + len; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      v = v * 10 + (s[i] - '0');
    }
    return true;
  };
  // strptime's %Y etc. accept fewer digits too, but IntelMQ values are canonical.
  if (s.size() < 25) return false;
  DateTimeArg d;
  if (!num(0, 4, d.year) || s[4] != '-' || !num(5, 2, d.month) || s[7] != '-' ||
      !num(8, 2, d.day) || s[10] != 'T' || !num(11, 2, d.hour) || s[13] != ':' ||
      !num(14, 2, d.minute) || s[16] != ':' || !num(17, 2, d.second))
    return false;
  std::size_t i = 19;
  if (s[i] == '.') {
    std::size_t j = i + 1;
    while (j < s.size() && s[j] >= '0' && s[j] <= '9') ++j;
    std::size_t n = j - i - 1;
    if (n < 1 || n > 6) return false;
    int us = 0;
    num(i + 1, n, us);
    for (std::size_t k = n; k < 6; ++k) us *= 10;
    d.microsecond = us;
    i = j;
  }
  if (s.substr(i) != "+00:00") return false;
  static constexpr int kMdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (d.month < 1 || d.month > 12 || d.day < 1 || d.day > kMdays[d.month - 1] || d.hour > 23 ||
      d.minute > 59 || d.second > 61)
    return false;
  bool leap = (d.year % 4 == 0 && d.year % 100 != 0) || d.year % 400 == 0;
  if (d.month == 2 && d.day == 29 && !leap) return false;
  if (d.second > 59) return false;  // datetime() rejects leap seconds
  out = d;
  return true;
}

}  // namespace intelflow::bots
