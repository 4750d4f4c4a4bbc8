// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// A small HTML parser that builds the same tree as BeautifulSoup 4 with
/// Python's `html.parser` (what IntelMQ's HTML table parser uses): Python
/// 3.11's tolerant tokenizer (with BeautifulSoup's own character-reference
/// handling), BeautifulSoup's tree building (no implicit closing of tags,
/// void elements closed at once, whitespace-only strings collapsed to "\n" or
/// " " outside <pre>/<textarea>, class-like attributes split into lists) and
/// its "minimal" serialisation (attributes sorted, `&`/`<`/`>` escaped, void
/// elements written `<br/>`). Enough for find_all, get_text and str(tag).

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace intelflow::bots::html {

/// One node of the document tree.
struct Node {
  enum class Kind : std::uint8_t {
    Document,
    Element,
    Text,         ///< NavigableString
    SpecialText,  ///< string inside script/style/template/rt/rp (not in get_text)
    CData,
    Comment,
    Doctype,
    Declaration,
    ProcessingInstruction,
  };
  /// An attribute value: a string, or (class-like attributes) a list of tokens.
  struct Attr {
    std::string name;
    std::string value;                ///< plain value
    std::vector<std::string> tokens;  ///< list value (when `is_list`)
    bool is_list = false;
    std::string joined() const;  ///< list values joined by " "
  };

  Kind kind = Kind::Element;
  std::string name;         ///< element name (lowercase)
  std::vector<Attr> attrs;  ///< insertion order, a repeated attribute keeps its first place
  std::string text;         ///< content of text-like nodes (UTF-8)
  Node* parent = nullptr;
  std::vector<Node*> children;

  const Attr* attr(std::string_view n) const noexcept;
  /// Void element without children (written `<br/>`).
  bool is_empty_element() const noexcept;
};

/// A parsed document; owns its nodes.
class Document {
 public:
  /// Parses UTF-8 text. Throws std::runtime_error where BeautifulSoup rejects
  /// the markup (an unknown `<![keyword` section).
  explicit Document(std::string_view utf8);
  Document(const Document&) = delete;
  Document& operator=(const Document&) = delete;

  const Node& root() const noexcept { return *root_; }

  /// Node factory used by the tree builder.
  Node* make(Node::Kind kind);

 private:
  std::deque<Node> nodes_;
  Node* root_ = nullptr;
};

/// Every element called `name` below `n`, in document order (find_all).
std::vector<const Node*> find_all(const Node& n, std::string_view name);
/// find_all(name, attrs={attr: value}): value nullopt matches elements without the attribute;
/// a list attribute matches if one token or the joined list equals the value.
std::vector<const Node*> find_all(const Node& n, std::string_view name, std::string_view attr,
                                  const std::optional<std::string>& value);
/// Tag.get_text() / .text: the plain strings (and CDATA) below `n`, concatenated.
std::string get_text(const Node& n);
/// str(tag) with BeautifulSoup's "minimal" formatter.
std::string serialize(const Node& n);

/// Python's html.unescape() (HTML5 named and numeric character references).
std::string unescape(std::string_view utf8);

}  // namespace intelflow::bots::html
