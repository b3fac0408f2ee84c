// MarketingDsl lexer. Keywords are English and lower case; identifiers and strings are Unicode.
// Most keywords are *soft*: the parser accepts them as identifiers (see `identifier` in the
// parser), so a field may be called `channel` or `journey`. Only the expression keywords below
// are reserved, because an expression must be able to tell `x and y` from a name.
lexer grammar MarketingDslLexer;

channels { COMMENTS }

// ---- reserved (expression) keywords
AND      : 'and';
OR       : 'or';
NOT      : 'not';
IN       : 'in';
BETWEEN  : 'between';
IS       : 'is';
NULL     : 'null';
TRUE     : 'true';
FALSE    : 'false';
CASE     : 'case';
WHEN     : 'when';
THEN     : 'then';
ELSE     : 'else';
END      : 'end';
IF       : 'if';
NEXT     : 'next';

// ---- soft keywords (declarations, properties, steps)
SCHEMA       : 'schema';
PROFILE      : 'profile';
IDENTITY     : 'identity';
EVENT        : 'event';
KEY          : 'key';
UNIQUE       : 'unique';
SETTINGS     : 'settings';
TAG          : 'tag';
SEGMENT      : 'segment';
SEGMENTATION : 'segmentation';
MODEL        : 'model';
CLUSTERS     : 'clusters';
RECOMMENDER  : 'recommender';
CHANNEL      : 'channel';
JOURNEY      : 'journey';
TEST         : 'test';
TRIGGER      : 'trigger';
AUDIENCE     : 'audience';
REENTRY      : 'reentry';
GOAL         : 'goal';
HOLDOUT      : 'holdout';
STEPS        : 'steps';
WAIT         : 'wait';
UNTIL        : 'until';
SEND         : 'send';
OFFER        : 'offer';
SPLIT        : 'split';
WINNER       : 'winner';
AFTER        : 'after';
EXIT         : 'exit';
EVERY        : 'every';
AT           : 'at';
ENTERS       : 'enters';
LEAVES       : 'leaves';
ONCE         : 'once';
ALWAYS       : 'always';
PER          : 'per';
WITHIN       : 'within';
WHERE        : 'where';
GIVEN        : 'given';
AS           : 'as';
OF           : 'of';
EXPECT       : 'expect';
PREDICT      : 'predict';
FEATURES     : 'features';
CAP          : 'cap';
QUIET        : 'quiet';
VALUE        : 'value';
ITEMS        : 'items';

// ---- literals. Longest match decides: `2025-06-01` is a date, `30d` a duration, `22:00` a time.
DATETIME : DIGIT4 '-' DIGIT2 '-' DIGIT2 'T' DIGIT2 ':' DIGIT2 (':' DIGIT2 ('.' DIGIT+)?)? ('Z' | [+-] DIGIT2 ':' DIGIT2)?;
DATE     : DIGIT4 '-' DIGIT2 '-' DIGIT2;
TIME     : DIGIT DIGIT? ':' DIGIT2;
DURATION : DIGIT+ [dhmsw];
PERCENT  : DIGIT+ ('.' DIGIT+)? '%';
DECIMAL  : DIGIT+ '.' DIGIT+;
INT      : DIGIT+;
STRING   : '"' (~["\\\r\n] | '\\' .)* '"';
// A string that reaches the end of its line; reported as MD1002 rather than as a cascade of errors.
UNTERMINATED_STRING : '"' (~["\\\r\n] | '\\' .)* '\\'? ;

// ---- punctuation and operators
LBRACE   : '{';
RBRACE   : '}';
LPAREN   : '(';
RPAREN   : ')';
LBRACK   : '[';
RBRACK   : ']';
COMMA    : ',';
COLON    : ':';
DOT      : '.';
ASSIGN   : '=';
EQ       : '==';
NEQ      : '!=';
LE       : '<=';
GE       : '>=';
LT       : '<';
GT       : '>';
PLUS     : '+';
MINUS    : '-';
STAR     : '*';
SLASH    : '/';
COALESCE : '??';
QUESTION : '?';

IDENTIFIER : [\p{L}_] [\p{L}\p{N}_]*;

DOC_COMMENT   : '///' ~[\r\n]* -> channel(COMMENTS);
LINE_COMMENT  : '//' ~[\r\n]* -> channel(COMMENTS);
BLOCK_COMMENT : '/*' .*? '*/' -> channel(COMMENTS);
NEWLINE       : ('\r'? '\n' | '\r') -> channel(HIDDEN);
WS            : [ \t\f\u00A0\uFEFF]+ -> channel(HIDDEN);

// Anything else is one bad character; the parser reports it (MD1001) and goes on.
BAD_CHAR : . ;

fragment DIGIT  : [0-9];
fragment DIGIT2 : DIGIT DIGIT;
fragment DIGIT4 : DIGIT DIGIT DIGIT DIGIT;
