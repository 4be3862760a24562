#include "tether/providers/shell_words.h"

namespace tether::providers {

Result<std::vector<std::string>> split_shell_words(std::string_view line) {
    std::vector<std::string> words;
    std::string word;
    bool in_word = false;  // a word has started, even an empty one ("")
    for (std::size_t at = 0; at < line.size(); ++at) {
        char c = line[at];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            if (in_word) words.push_back(std::move(word));
            word.clear();
            in_word = false;
        } else if (c == '\\') {
            if (++at == line.size()) {
                return Error{ErrorKind::invalid_argument, "the command line ends in a backslash that escapes nothing"};
            }
            word += line[at];
            in_word = true;
        } else if (c == '\'') {
            std::size_t end = line.find('\'', at + 1);
            if (end == std::string_view::npos) {
                return Error{ErrorKind::invalid_argument, "the command line has a ' with no closing quote"};
            }
            word.append(line.substr(at + 1, end - at - 1));
            at = end;
            in_word = true;
        } else if (c == '"') {
            bool closed = false;
            for (++at; at < line.size(); ++at) {
                if (line[at] == '"') {
                    closed = true;
                    break;
                }
                if (line[at] == '\\' && at + 1 < line.size() && (line[at + 1] == '"' || line[at + 1] == '\\')) ++at;
                word += line[at];
            }
            if (!closed) return Error{ErrorKind::invalid_argument, "the command line has a \" with no closing quote"};
            in_word = true;
        } else {
            word += c;
            in_word = true;
        }
    }
    if (in_word) words.push_back(std::move(word));
    return words;
}

}  // namespace tether::providers
