// MarketingDsl parser. One file of a workspace is a list of declarations; declarations are global
// to the workspace and may come in any order. Alternatives are labelled so the syntax-tree builder
// gets one context class per form.
parser grammar MarketingDslParser;

options { tokenVocab = MarketingDslLexer; }

workspaceFile : declaration* EOF ;

declaration
    : schemaDecl
    | settingsDecl
    | tagDecl
    | segmentDecl
    | segmentationDecl
    | modelDecl
    | clustersDecl
    | recommenderDecl
    | channelDecl
    | journeyDecl
    | testDecl
    ;

// ---------------------------------------------------------------- schema
schemaDecl     : SCHEMA LBRACE schemaMember* RBRACE ;
schemaMember
    : PROFILE fieldList                                  # profileMember
    | IDENTITY LBRACE identifierList? RBRACE             # identityMember
    | EVENT name=identifier fieldList                    # eventMember
    ;
// Fields are separated by line breaks or commas.
fieldList      : LBRACE (fieldDecl COMMA?)* RBRACE ;
fieldDecl      : name=identifier COLON typeRef fieldModifier* ;
fieldModifier  : KEY | UNIQUE ;
typeRef        : name=identifier (LT typeRef GT)? QUESTION? ;
identifierList : identifier (COMMA identifier)* COMMA? ;

settingsDecl   : SETTINGS LBRACE settingEntry* RBRACE ;
settingEntry   : name=identifier COLON optionValue COMMA? ;
// A property value: a literal, or a bare word such as `algorithm: fasttree`.
optionValue    : literal | identifier ;

// ---------------------------------------------------------------- tags and segments
tagDecl        : TAG name=identifier label? ASSIGN expression ;
segmentDecl    : SEGMENT name=identifier label? ASSIGN expression ;
label          : STRING ;

segmentationDecl : SEGMENTATION name=identifier label? LBRACE segmentationRule* RBRACE ;
segmentationRule
    : name=identifier label? WHEN expression             # whenRule
    | ELSE name=identifier label?                        # elseRule
    ;

// ---------------------------------------------------------------- models
modelDecl      : MODEL name=identifier label? LBRACE modelProperty* RBRACE ;
clustersDecl   : CLUSTERS name=identifier label? LBRACE modelProperty* RBRACE ;
modelProperty
    : PREDICT COLON expression                           # predictProperty
    | FEATURES COLON expression (COMMA expression)*      # featuresProperty
    | name=identifier COLON optionValue                  # optionProperty
    ;
// `recommender picks { items: order.sku  signals: view 1, cart_add 3, order 5  within: 180d  k: 10 }`:
// each property is a comma-separated list of values, a value an expression with an optional
// weight after it (`view 1`); the binder gives each property its meaning and its diagnostics.
recommenderDecl     : RECOMMENDER name=identifier label? LBRACE recommenderProperty* RBRACE ;
recommenderProperty : name=identifier COLON recommenderValue (COMMA recommenderValue)* ;
recommenderValue    : expression weight=(INT | DECIMAL)? ;

// ---------------------------------------------------------------- channels
channelDecl    : CHANNEL name=identifier label? LBRACE channelProperty* RBRACE ;
channelProperty
    : CAP COLON INT PER duration                         # capProperty
    | QUIET COLON fromTime=TIME MINUS toTime=TIME                # quietProperty
    | name=identifier COLON optionValue                  # channelOption
    ;

// ---------------------------------------------------------------- journeys
journeyDecl    : JOURNEY name=identifier label? LBRACE journeyProperty* stepsBlock? RBRACE ;
journeyProperty
    : TRIGGER COLON trigger                              # triggerProperty
    | AUDIENCE COLON expression                          # audienceProperty
    | REENTRY COLON reentryRule                          # reentryProperty
    | GOAL COLON eventName=identifier (WHERE expression)? WITHIN duration (VALUE valueField=identifier)?   # goalProperty
    | HOLDOUT COLON PERCENT                              # holdoutProperty
    ;
trigger
    : eventName=identifier (WHERE expression)?           # eventTrigger
    | EVERY period=identifier (AT TIME)?                 # calendarTrigger
    | EVERY duration                                     # intervalTrigger
    | direction=(ENTERS | LEAVES) SEGMENT segment=identifier  # segmentTrigger
    ;
reentryRule
    : ONCE (PER duration)?                               # onceReentry
    | ALWAYS                                             # alwaysReentry
    ;
stepsBlock     : STEPS stepBlock ;
stepBlock      : LBRACE step* RBRACE ;
step
    : WAIT duration (UNTIL eventName=identifier (WHERE expression)?)?      # waitStep
    | SEND channel=identifier template=STRING (OFFER offer=STRING)? (ITEMS COLON items=expression)?   # sendStep
    | IF expression stepBlock (ELSE (ifElse=step | elseBlock=stepBlock))?   # ifStep
    | SPLIT name=STRING? (WINNER AFTER duration)? LBRACE splitBranch* RBRACE # splitStep
    | EXIT                                               # exitStep
    ;
splitBranch    : PERCENT COLON (stepBlock | step) ;

// ---------------------------------------------------------------- tests
testDecl       : TEST name=STRING LBRACE testStatement* RBRACE ;
testStatement
    : GIVEN kind=identifier objectLiteral                # givenStatement
    | AS OF (DATETIME | DATE)                            # asOfStatement
    | EXPECT expression                                  # expectStatement
    ;
objectLiteral  : LBRACE (objectField (COMMA objectField)* COMMA?)? RBRACE ;
objectField    : name=identifier COLON expression ;

// ---------------------------------------------------------------- expressions
// A precedence cascade (loosest first) rather than one left-recursive rule: `between a and b`
// needs bounds that stop before `and`, and comparisons do not chain (`a < b < c` is an error).
expression     : orExpr ;
orExpr         : andExpr (OR andExpr)* ;
andExpr        : notExpr (AND notExpr)* ;
notExpr        : NOT notExpr | predicateExpr ;
predicateExpr
    : coalesceExpr
      ( op=(EQ | NEQ | LT | LE | GT | GE) right=coalesceExpr
      | NOT? IN right=coalesceExpr
      | NOT? BETWEEN low=coalesceExpr AND high=coalesceExpr
      | IS NOT? NULL
      )?
    ;
coalesceExpr   : additiveExpr (COALESCE additiveExpr)* ;
additiveExpr   : multiplicativeExpr (op+=(PLUS | MINUS) multiplicativeExpr)* ;
multiplicativeExpr : unaryExpr (op+=(STAR | SLASH) unaryExpr)* ;
unaryExpr      : MINUS unaryExpr | postfixExpr ;
postfixExpr    : primary postfixPart* ;
// `picks.items`, and a member call such as `picks.related(sku, 3)`.
postfixPart    : DOT identifier (LPAREN argumentList? RPAREN)? ;
primary
    : literal                                            # literalPrimary
    | NEXT duration                                      # nextWindowPrimary
    | name=identifier LPAREN argumentList? RPAREN        # callPrimary
    | identifier                                         # namePrimary
    | LPAREN expression RPAREN                           # parenPrimary
    | LBRACK (expression (COMMA expression)* COMMA?)? RBRACK  # listPrimary
    | CASE (WHEN expression THEN expression)+ (ELSE expression)? END  # casePrimary
    ;
argumentList   : argument (COMMA argument)* ;
argument       : (name=identifier COLON)? expression ;

literal
    : INT | DECIMAL | STRING | TRUE | FALSE | NULL | DATE | DATETIME | duration
    ;
duration       : DURATION+ ;

// Soft keywords double as names: a field may be called `channel`, an event `journey`.
identifier
    : IDENTIFIER
    | SCHEMA | PROFILE | IDENTITY | EVENT | KEY | UNIQUE | SETTINGS | TAG | SEGMENT | SEGMENTATION
    | MODEL | CLUSTERS | CHANNEL | JOURNEY | TEST | TRIGGER | AUDIENCE | REENTRY | GOAL | HOLDOUT
    | STEPS | WAIT | UNTIL | SEND | OFFER | SPLIT | WINNER | AFTER | EXIT | EVERY | AT | ENTERS
    | LEAVES | ONCE | ALWAYS | PER | WITHIN | WHERE | GIVEN | AS | OF | EXPECT
    | PREDICT | FEATURES | CAP | QUIET | VALUE | RECOMMENDER | ITEMS
    ;
